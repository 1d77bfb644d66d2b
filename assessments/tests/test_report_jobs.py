"""Checkup reports: compiling through the task, the monthly queue, and the report pages."""

import datetime
import io
from unittest import mock

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from assessments.models import CheckupReport
from assessments.selectors.reports import period_bounds
from assessments.services import reports as report_services
from assessments.services.reports import compile_monthly, report_compile, report_request
from assessments.tasks import compile_checkup_report, compile_monthly_reports
from assessments.tests.known import MARCH, NOW, TODAY, compiled
from branches.tests.factories import BranchFactory
from core.models import AuditEntry, OutboxMessage
from members.models import Notification
from members.tests.factories import MemberFactory, PostFactory, UserFactory

pytestmark = pytest.mark.django_db
COMPILE = "assessments.tasks.compile_checkup_report"


def enqueued_compiles() -> list[int]:
    """Report ids whose compile is recorded in the outbox, in order."""
    return [args[0] for args in OutboxMessage.objects.filter(task=COMPILE).values_list("args", flat=True)]


# --- compiling -------------------------------------------------------------


def test_compiling_twice_is_a_noop_the_second_time(data):
    report = CheckupReport.objects.create(period="month", period_start=MARCH[0], period_end=MARCH[1])
    with time_machine.travel(NOW, tick=False):
        assert compile_checkup_report.apply(args=[report.pk]).get() == "done"
        report.refresh_from_db()
        files = (report.pdf.name, report.xlsx.name)
        assert compile_checkup_report.apply(args=[report.pk]).get() == "skipped"
        assert report_compile(report.pk) == "skipped"
    report.refresh_from_db()
    assert (report.status, report.pdf.name, report.xlsx.name) == ("done", *files)
    assert report.started_at <= report.finished_at and report.figures["summary"]["lessons_held"] == 1


def test_a_report_whose_lease_lapsed_is_compiled_again(data, settings):
    started = datetime.datetime(2027, 1, 15, 2, 0, tzinfo=datetime.UTC)
    lease = datetime.timedelta(seconds=settings.REPORT_LEASE_SECONDS)
    report = CheckupReport.objects.create(
        period="month",
        period_start=MARCH[0],
        period_end=MARCH[1],
        status="running",
        started_at=started,
        lease_until=started + lease,
        attempts=1,
    )
    with time_machine.travel(started + lease / 2, tick=False):
        assert report_compile(report.pk) == "busy"  # its worker holds the lease
        assert compile_checkup_report.apply(args=[report.pk]).get() == "busy"  # and the task does not wait for it
    with time_machine.travel(started + lease + datetime.timedelta(seconds=1), tick=False):
        assert report_compile(report.pk) == "done"
    report.refresh_from_db()
    assert (report.attempts, report.lease_until) == (2, None)


def test_the_sweep_queues_a_lapsed_report_again_and_fails_it_after_the_last_attempt(data, settings):
    now = datetime.datetime(2027, 1, 15, 2, 0, tzinfo=datetime.UTC)
    past = now - datetime.timedelta(seconds=1)
    settings.REPORT_MAX_ATTEMPTS = 2
    dead = CheckupReport.objects.create(
        period="month", period_start=MARCH[0], period_end=MARCH[1], status="running", lease_until=past, attempts=1
    )
    never_started = CheckupReport.objects.create(
        period="year", period_start=datetime.date(2026, 1, 1), period_end=datetime.date(2026, 12, 31), lease_until=past
    )
    alive = CheckupReport.objects.create(
        period="quarter",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 3, 31),
        status="running",
        lease_until=now + datetime.timedelta(seconds=10),
        attempts=1,
    )
    out_of_tries = CheckupReport.objects.create(
        period="month",
        period_start=datetime.date(2026, 4, 1),
        period_end=datetime.date(2026, 4, 30),
        status="running",
        lease_until=past,
        attempts=2,
    )
    with time_machine.travel(now, tick=False):
        assert report_services.reports_sweep() == {"queued": 2, "failed": 1}
        assert report_services.reports_sweep() == {"queued": 0, "failed": 0}
    statuses = dict(CheckupReport.objects.values_list("pk", "status"))
    assert statuses == {dead.pk: "queued", never_started.pk: "queued", alive.pk: "running", out_of_tries.pk: "failed"}
    assert sorted(enqueued_compiles()) == sorted([dead.pk, never_started.pk])
    assert "2" in CheckupReport.objects.get(pk=out_of_tries.pk).error
    with time_machine.travel(now, tick=False):
        assert report_compile(dead.pk) == "done"


def test_a_database_error_leaves_the_report_to_a_retry_not_failed(data, settings):
    from celery.exceptions import Retry
    from django.db import OperationalError

    report = CheckupReport.objects.create(period="month", period_start=MARCH[0], period_end=MARCH[1])
    with (
        time_machine.travel(NOW, tick=False),
        mock.patch("assessments.services.reports.report_figures", side_effect=OperationalError("server closed")),
        pytest.raises(Retry) as retry,
    ):
        compile_checkup_report.apply(args=[report.pk], throw=True).get()
    # Retried once this run's lease has lapsed, so that the retry can claim the report.
    assert retry.value.when == settings.REPORT_LEASE_SECONDS + 1
    report.refresh_from_db()
    assert report.status == "running" and report.error == "" and report.lease_until is not None


def test_asking_again_after_a_failure_starts_a_new_compile(client, data, leader):
    report = CheckupReport.objects.create(
        period="month", period_start=MARCH[0], period_end=MARCH[1], status="failed", error="OSError: disk full"
    )
    client.force_login(leader)
    page = client.get(report.get_absolute_url()).content.decode()
    assert reverse("reports:report_retry", args=[report.pk]) in page
    response = client.post(reverse("reports:report_retry", args=[report.pk]))
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.error, report.attempts) == ("queued", "", 0)
    assert enqueued_compiles() == [report.pk]
    with time_machine.travel(NOW, tick=False):
        fresh = report_request(period="month", start=MARCH[0], branch=None, actor=leader)
    assert fresh == report  # the queued retry, not a second report


def test_asking_again_for_a_stuck_report_queues_it_again(data, leader):
    stuck = CheckupReport.objects.create(
        period="month",
        period_start=MARCH[0],
        period_end=MARCH[1],
        status="running",
        lease_until=NOW - datetime.timedelta(minutes=5),
        attempts=3,
    )
    with time_machine.travel(NOW, tick=False):
        again = report_request(period="month", start=MARCH[0], branch=None, actor=leader)
    stuck.refresh_from_db()
    assert again == stuck and (stuck.status, stuck.attempts) == ("queued", 0)
    assert enqueued_compiles() == [stuck.pk]


def test_a_failing_compile_is_marked_failed_with_the_error(data, settings, tmp_path, leader_member):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    settings.MEDIA_ROOT = blocker  # saving a file under it fails
    report = CheckupReport.objects.create(period="month", period_start=MARCH[0], period_end=MARCH[1])
    with time_machine.travel(NOW, tick=False):
        assert report_compile(report.pk) == "failed"
    report.refresh_from_db()
    assert report.status == "failed" and report.finished_at is not None
    assert report.error.startswith(("NotADirectoryError", "FileExistsError")), report.error
    assert not report.pdf and not report.xlsx
    assert not Notification.objects.filter(kind="report_ready").exists()
    assert report_compile(report.pk) == "skipped"


def test_leadership_gets_an_in_app_notification_once(data, leader_member):
    report = compiled("month", *MARCH, branch=data["a"])
    note = Notification.objects.get(recipient=leader_member, kind="report_ready")
    assert note.channel == "in_app" and note.url == report.get_absolute_url() == f"/reports/{report.pk}/"
    assert note.dedup_key.startswith(f"report_ready:report:{report.pk}:{leader_member.pk}:done")
    assert data["a"].name in note.title
    assert not Notification.objects.filter(kind="report_ready").exclude(recipient=leader_member).exists()
    report_services._notify_ready(report)  # a second notice for the same report is deduplicated
    assert Notification.objects.filter(kind="report_ready").count() == 1


def test_report_request_queues_once_and_enqueues_after_commit(data, leader, django_capture_on_commit_callbacks):
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        report = report_request(period="quarter", start=datetime.date(2026, 11, 20), branch=None, actor=leader)
        again = report_request(period="quarter", start=datetime.date(2026, 10, 1), branch=None, actor=leader)
    assert again == report and (report.period_start, report.period_end) == (
        datetime.date(2026, 10, 1),
        datetime.date(2026, 12, 31),
    )
    assert (report.status, report.requested_by) == ("queued", leader)
    assert enqueued_compiles() == [report.pk]
    assert AuditEntry.objects.filter(action="checkup_report.requested", target_id=str(report.pk)).count() == 1


def test_report_request_refuses_a_future_period(data, leader, committee):
    with time_machine.travel(NOW, tick=False):
        with pytest.raises(ValidationError) as future:
            report_request(period="month", start=datetime.date(2027, 2, 1), branch=committee, actor=leader)
    assert future.value.error_dict["start"][0].code == "period_in_future"
    assert not CheckupReport.objects.exists()


def test_compile_monthly_queues_last_month_for_the_bureau_and_each_branch_once(
    data, committee, django_capture_on_commit_callbacks
):
    BranchFactory(name="已撤销支部", code="gone", parent=committee, is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        first = compile_monthly(today=TODAY)
    with django_capture_on_commit_callbacks(execute=True):
        second = compile_monthly(today=TODAY)
    assert second == []
    assert sorted((r.branch_id or 0) for r in first) == sorted([0, data["a"].pk, data["b"].pk])
    assert {(r.period, r.period_start, r.period_end, r.status) for r in first} == {
        ("month", datetime.date(2026, 12, 1), datetime.date(2026, 12, 31), "queued")
    }
    assert sorted(enqueued_compiles()) == sorted(r.pk for r in first)


def test_compile_monthly_retries_a_failed_scope_only(data, django_capture_on_commit_callbacks):
    first = compile_monthly(today=TODAY)
    CheckupReport.objects.filter(pk=first[0].pk).update(status="failed")
    again = compile_monthly(today=TODAY)
    assert [r.branch_id for r in again] == [first[0].branch_id]


def test_monthly_beat_task_uses_the_local_date(data):
    # 1 February 00:30 in Asia/Shanghai is still 31 January in UTC.
    with time_machine.travel(datetime.datetime(2027, 1, 31, 16, 30, tzinfo=datetime.UTC), tick=False):
        assert compile_monthly_reports.apply().get() == 3
    assert set(CheckupReport.objects.values_list("period_start", flat=True)) == {datetime.date(2027, 1, 1)}


# --- pages -----------------------------------------------------------------


@pytest.fixture
def done_reports(data):
    """A done bureau report and a done branch-A report for March 2026, and a done branch-B one."""
    return {
        "bureau": compiled("month", *MARCH),
        "a": compiled("month", *MARCH, branch=data["a"]),
        "b": compiled("month", *MARCH, branch=data["b"]),
    }


def _status(client, user, url):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client.get(url).status_code


def test_who_may_open_which_report(client, done_reports, personas):
    bureau, a, b = done_reports["bureau"], done_reports["a"], done_reports["b"]
    expected = {
        # persona: (list, bureau detail, A detail, A pdf, A xlsx, B pdf, status of A)
        None: (302, 302, 302, 302, 302, 302, 302),
        "member": (403, 403, 403, 403, 403, 404, 403),
        "secretary": (200, 404, 200, 200, 200, 404, 286),
        "outsider": (403, 403, 404, 404, 404, 403, 404),
        "leader": (200, 200, 200, 200, 200, 200, 286),
        "admin": (200, 200, 200, 200, 200, 200, 286),
    }
    urls = [
        reverse("reports:report_list"),
        reverse("reports:report_detail", args=[bureau.pk]),
        reverse("reports:report_detail", args=[a.pk]),
        reverse("reports:report_pdf", args=[a.pk]),
        reverse("reports:report_xlsx", args=[a.pk]),
        reverse("reports:report_pdf", args=[b.pk]),
        reverse("reports:report_status", args=[a.pk]),
    ]
    for persona, codes in expected.items():
        user = personas[persona] if persona else None
        assert tuple(_status(client, user, url) for url in urls) == codes, persona


def test_new_report_form_is_for_leadership_only(client, personas, data):
    url = reverse("reports:report_new")
    for persona, code in {"member": 403, "secretary": 403, "outsider": 403, "leader": 200, "admin": 200}.items():
        assert _status(client, personas[persona], url) == code, persona


def test_secretary_lists_only_their_branchs_reports(client, done_reports, secretary):
    client.force_login(secretary)
    html = client.get(reverse("reports:report_list")).content.decode()
    assert f'data-report="{done_reports["a"].pk}"' in html
    assert f'data-report="{done_reports["b"].pk}"' not in html
    assert f'data-report="{done_reports["bureau"].pk}"' not in html
    assert reverse("reports:report_new") not in html


def test_downloads_are_the_compiled_files(client, done_reports, leader):
    client.force_login(leader)
    report = done_reports["a"]
    response = client.get(reverse("reports:report_pdf", args=[report.pk]))
    body = b"".join(response.streaming_content)
    assert response["Content-Type"] == "application/pdf" and body.startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"] and ".pdf" in response["Content-Disposition"]
    response = client.get(reverse("reports:report_xlsx", args=[report.pk]))
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.worksheets[0].freeze_panes == "A2"


@time_machine.travel(NOW, tick=False)
def test_leader_starts_a_report_and_lands_on_its_page(client, leader, data, django_capture_on_commit_callbacks):
    client.force_login(leader)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reports:report_new"), {"period": "month", "month": "2026-03", "branch": data["a"].pk}
        )
    report = CheckupReport.objects.get()
    assert response.status_code == 302 and response["Location"] == report.get_absolute_url()
    assert (report.period_start, report.branch, report.status) == (MARCH[0], data["a"], "queued")
    assert enqueued_compiles() == [report.pk]
    page = client.get(report.get_absolute_url()).content.decode()
    assert 'hx-trigger="every 2s"' in page and reverse("reports:report_status", args=[report.pk]) in page


@time_machine.travel(NOW, tick=False)
def test_new_report_form_shows_the_error_for_a_future_month(client, leader, data):
    client.force_login(leader)
    response = client.post(reverse("reports:report_new"), {"period": "month", "month": "2027-03", "branch": ""})
    assert response.status_code == 400 and not CheckupReport.objects.exists()
    assert response.context["form"].errors["month"]


def test_status_partial_polls_until_done_then_answers_286(client, leader, data):
    client.force_login(leader)
    report = CheckupReport.objects.create(period="month", period_start=MARCH[0], period_end=MARCH[1])
    url = reverse("reports:report_status", args=[report.pk])
    queued = client.get(url)
    assert queued.status_code == 200 and 'hx-trigger="every 2s"' in queued.content.decode()
    with time_machine.travel(NOW, tick=False):
        report_compile(report.pk)
    done = client.get(url)
    html = done.content.decode()
    assert done.status_code == 286 and "hx-trigger" not in html
    assert reverse("reports:report_pdf", args=[report.pk]) in html and 'id="checkup-report"' in html
    CheckupReport.objects.filter(pk=report.pk).update(status="failed", error="OSError: disk full")
    failed = client.get(url)
    assert failed.status_code == 286 and "OSError: disk full" in failed.content.decode()


def test_done_report_page_shows_the_figures_inline(client, done_reports, secretary):
    client.force_login(secretary)
    report = done_reports["a"]
    html = client.get(report.get_absolute_url()).content.decode()
    row = report.figures["branches"][0]
    assert 'id="checkup-report"' in html and "hx-trigger" not in html
    assert (
        f'<tr data-branch="{row["branch_id"]}"><td>{row["name"]}</td><td class="num">{row["attendance_rows"]}<' in html
    )


def test_report_pages_run_a_fixed_number_of_queries(client, leader, data, django_assert_max_num_queries):
    client.force_login(leader)
    for month in range(1, 4):
        CheckupReport.objects.create(
            period="month",
            period_start=datetime.date(2026, month, 1),
            period_end=period_bounds("month", datetime.date(2026, month, 1))[1],
            branch=data["a"] if month % 2 else None,
        )
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("reports:report_list")).status_code == 200
    for month in range(4, 12):
        CheckupReport.objects.create(
            period="month",
            period_start=datetime.date(2026, month, 1),
            period_end=period_bounds("month", datetime.date(2026, month, 1))[1],
            branch=data["b"],
        )
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("reports:report_list")).status_code == 200
    assert len(many) == len(few)
    report = compiled("month", *MARCH)
    with django_assert_max_num_queries(len(few) + 1):
        assert client.get(report.get_absolute_url()).status_code == 200


def test_secretary_of_two_branches_sees_both(client, done_reports, data):
    user = UserFactory(username="two-hats")
    member = MemberFactory(user=user, branch=data["a"])
    PostFactory(member=member, branch=data["a"])
    PostFactory(member=member, branch=data["b"])
    client.force_login(user)
    html = client.get(reverse("reports:report_list")).content.decode()
    assert f'data-report="{done_reports["a"].pk}"' in html and f'data-report="{done_reports["b"].pk}"' in html
    assert client.get(reverse("reports:report_detail", args=[done_reports["bureau"].pk])).status_code == 404
