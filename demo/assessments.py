"""Demo figures for the dashboards: a supervision visit and this year's indicators."""

import datetime

from django.db import transaction
from django.utils import timezone

from assessments.models import RectificationItem, SupervisionVisit, YearEndAssessment
from assessments.services.indicators import indicators_recompute
from branches.models import Branch


@transaction.atomic
def seed_assessments(*, today: datetime.date | None = None) -> dict[str, int]:
    """Add one supervision visit to the demo bureau (once) and compute this year's indicators."""
    today = today or timezone.localdate()
    branch = Branch.objects.filter(code="ysgl").first()
    visits = 0
    if branch is not None and not SupervisionVisit.objects.filter(branch=branch).exists():
        visit = SupervisionVisit.objects.create(
            branch=branch,
            visited_on=today - datetime.timedelta(days=40),
            inspectors="机关党委 张建国、刘敏",
            findings="三会一课记录不完整；个别党员学习笔记未按时提交。",
        )
        RectificationItem.objects.create(
            visit=visit,
            description="补齐第三季度支委会会议记录",
            owner="支部书记",
            deadline=today - datetime.timedelta(days=10),
        )
        RectificationItem.objects.create(
            visit=visit,
            description="督促党员提交学习笔记",
            owner="组织委员",
            deadline=today + datetime.timedelta(days=20),
            status=RectificationItem.Status.IN_PROGRESS,
        )
        visits = 1
    # Only the first run computes, so that seeding again changes nothing.
    assessed = 0
    if not YearEndAssessment.objects.filter(year=today.year).exists():
        assessed = indicators_recompute(today.year, today=today)
    return {"visits": visits, "assessed": assessed}
