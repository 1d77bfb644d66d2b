"""The demo's history: every dashboard, chart and report has figures, and they reconcile."""

import datetime

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from assessments.models import BranchAssessment, CheckupReport, YearEndAssessment
from assessments.selectors.charts import chart_data
from assessments.selectors.dashboards import dashboard
from assessments.services.reports import report_compile
from training.models import (
    AssignmentTarget,
    Attendance,
    Feedback,
    LeaveRequest,
    Lesson,
    LessonHost,
    OnlineStudyRecord,
    StudyNote,
)
from training.services.reconcile import reconcile_figures

pytestmark = pytest.mark.django_db(transaction=False)
TODAY = datetime.datetime(2026, 11, 20, 2, 0, tzinfo=datetime.UTC)  # 10:00 in Shanghai


def _counts():
    models = (Lesson, Attendance, StudyNote, OnlineStudyRecord, AssignmentTarget, Feedback, YearEndAssessment)
    return {model.__name__: model.objects.count() for model in models}


def test_seeded_history_fills_every_figure_and_reconciles(client):
    with time_machine.travel(TODAY, tick=False):
        call_command("seed_demo", verbosity=0)
        today = datetime.date(2026, 11, 20)

        # The ledger agrees with the raw records in both demo years.
        assert reconcile_figures(2025, today=today) == []
        assert reconcile_figures(2026, today=today) == []

        held = Lesson.objects.filter(status="held")
        assert set(held.values_list("kind", flat=True)) == set(Lesson.Kind.values)
        assert LessonHost.objects.filter(lesson__in=held, is_organiser=False, status="accepted").exists()
        statuses = set(Attendance.objects.filter(lesson__in=held).values_list("status", flat=True))
        assert statuses == {"present", "late", "leave", "absent"}
        assert LeaveRequest.objects.filter(status="approved").exists()
        make_up = AssignmentTarget.objects.filter(assignment__kind="make_up")
        assert make_up.filter(status="done").exists() and make_up.filter(status="open").exists()
        assert set(StudyNote.objects.values_list("status", flat=True)) == {"draft", "submitted", "returned", "passed"}
        demo_notes = StudyNote.objects.filter(member__user__username="demo_member")
        assert set(demo_notes.values_list("status", flat=True)) == {"draft", "submitted", "returned", "passed"}
        assert OnlineStudyRecord.objects.filter(study_date__year=2025).exists()
        assert Feedback.objects.exists()

        for year in (2025, 2026):
            data = dashboard(year, today=today)
            assert data.lessons_held > 50 and data.attendance_rate is not None and data.notes_passed > 0
            assert all(r.plan_completion is not None for r in data.rows)
            assert not any(chart_data(data)["empty"].values()), year
        states = set(BranchAssessment.objects.filter(year=2025).values_list("status", flat=True))
        assert states == {"confirmed", "submitted"}
        outcomes = set(YearEndAssessment.objects.filter(year=2025).values_list("evaluation", flat=True))
        assert {"excellent", "qualified"} <= outcomes and "" not in outcomes

        # The queued year report compiles, as the worker would do it.
        report = CheckupReport.objects.get(period="year", period_start=datetime.date(2025, 1, 1), branch=None)
        assert report_compile(report.pk) == "done"
        report.refresh_from_db()
        assert report.figures and report.pdf and report.xlsx

        leader = get_user_model().objects.get(username="demo_leader")
        client.force_login(leader)
        html = client.get(reverse("assessments:dashboard"), {"year": 2025}).content.decode()
        assert "暂无数据" not in html

        before = _counts()
        call_command("seed_demo", verbosity=0)
        assert _counts() == before
        assert reconcile_figures(2025, today=today) == []


def test_one_branch_skips_party_cell_meetings_so_compliance_varies():
    from demo.history import PATCHY_BRANCH, seed_history
    from demo.members import seed_organisation

    with time_machine.travel(TODAY, tick=False):
        seed_organisation()
        seed_history(today=datetime.date(2026, 11, 20))
    cells = Lesson.objects.filter(kind="group_meeting", start__year=2025)
    patchy = cells.filter(organiser__code=PATCHY_BRANCH).count()
    steady = cells.filter(organiser__code="jg1").count()
    assert steady == 12 and 0 < patchy < 12
