from assessments.models.awards import BranchRating, BranchRatingScore, RatingCriterion, StarAward, StarCategory
from assessments.models.figures import BranchYearFigures
from assessments.models.reports import CheckupReport
from assessments.models.supervision import RectificationEvidence, RectificationItem, SupervisionVisit
from assessments.models.yearend import AssessmentScheme, BranchAssessment, YearEndAssessment

__all__ = [
    "AssessmentScheme",
    "BranchAssessment",
    "BranchRating",
    "BranchRatingScore",
    "BranchYearFigures",
    "CheckupReport",
    "RatingCriterion",
    "RectificationEvidence",
    "RectificationItem",
    "StarAward",
    "StarCategory",
    "SupervisionVisit",
    "YearEndAssessment",
]
