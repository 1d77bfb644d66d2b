from .awards import BranchRating, BranchRatingScore, RatingCriterion, StarAward, StarCategory
from .reports import CheckupReport
from .supervision import RectificationEvidence, RectificationItem, SupervisionVisit
from .yearend import AssessmentScheme, BranchAssessment, YearEndAssessment

__all__ = [
    "AssessmentScheme",
    "BranchAssessment",
    "BranchRating",
    "BranchRatingScore",
    "CheckupReport",
    "RatingCriterion",
    "RectificationEvidence",
    "RectificationItem",
    "StarAward",
    "StarCategory",
    "SupervisionVisit",
    "YearEndAssessment",
]
