"""Attack: learn which objects exist from the answers to URLs one may not open."""

import datetime
import re

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from assessments.models import CheckupReport
from training.services.lessons import checkin_token
from training.tests.factories import LessonFactory

pytestmark = pytest.mark.django_db
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def _answer(response):
    """Status, redirect and body, with the echoed request path and the CSRF token taken out."""
    body = CSRF.sub("", response.content.decode()).replace(response.wsgi_request.path, "PATH")
    return response.status_code, response.get("Location"), body


def test_anonymous_check_in_does_not_tell_an_existing_lesson_from_a_missing_one(client, branch_a):
    lesson = LessonFactory(organiser=branch_a, title="不应泄露的标题")
    missing = lesson.pk + 1000
    existing = _answer(client.get(reverse("training:check_in", args=[lesson.pk, "forged"])))
    absent = _answer(client.get(reverse("training:check_in", args=[missing, "forged"])))
    assert existing == absent
    assert existing[0] == 400 and "不应泄露的标题" not in existing[2]
    # A code signed for another lesson is refused in the same words.
    other = LessonFactory(organiser=branch_a)
    stolen = checkin_token(other)
    assert _answer(client.get(reverse("training:check_in", args=[lesson.pk, stolen]))) == existing
    assert _answer(client.get(reverse("training:check_in", args=[missing, stolen]))) == absent


def _report(branch):
    report = CheckupReport(
        period="month",
        period_start=datetime.date(2026, 10, 1),
        period_end=datetime.date(2026, 10, 31),
        branch=branch,
        status="done",
    )
    report.pdf.save("r.pdf", ContentFile(b"%PDF-1.4"), save=False)
    report.xlsx.save("r.xlsx", ContentFile(b"PK"), save=True)
    return report


REPORT_URLS = ("reports:report_detail", "reports:report_status", "reports:report_pdf", "reports:report_xlsx")


def test_report_answers_follow_the_rule_of_members_permissions(client, member, outsider, branch_a, branch_b):
    """Another branch's report, or none at all: 404. The member's own branch, with too weak a role: 403."""
    own, other = _report(branch_a), _report(branch_b)
    missing = other.pk + 1000
    for name in REPORT_URLS:
        anonymous = [client.get(reverse(name, args=[pk])) for pk in (own.pk, missing)]
        assert [r.status_code for r in anonymous] == [302, 302]
        assert all(r["Location"].startswith(reverse("login")) for r in anonymous)
    client.force_login(member)
    for name in REPORT_URLS:
        assert client.get(reverse(name, args=[own.pk])).status_code == 403, name
        assert client.get(reverse(name, args=[other.pk])).status_code == 404, name
        assert client.get(reverse(name, args=[missing])).status_code == 404, name
    client.force_login(outsider)
    for name in REPORT_URLS:
        assert client.get(reverse(name, args=[own.pk])).status_code == 404, name
