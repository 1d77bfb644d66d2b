"""Attack: oversized bodies, hostile query strings, and error pages that speak English or leak internals."""

import io
import time

import pytest
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.urls import path, reverse

from config.urls import urlpatterns as site_patterns
from core.middleware import CappedStream, RequestGuardMiddleware
from tests.test_url_roles import EXPECTED, build_url, url_args  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
CHINESE_HOME_LINK = "返回首页"


# --- oversized bodies -------------------------------------------------------


class CountingInput(io.RawIOBase):
    """A request body that counts what the server reads of it."""

    def __init__(self, size: int):
        self.size, self.read_bytes = size, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.size - self.read_bytes)
        buffer[:n] = b"x" * n
        self.read_bytes += n
        return n


def test_declared_oversized_upload_is_refused_before_it_is_read(client, secretary):
    client.force_login(secretary)
    body = CountingInput(25 * 2**20)
    response = client.generic(
        "POST",
        reverse("members:roster_import"),
        data=b"",
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(25 * 2**20),
        **{"wsgi.input": body},
    )
    assert response.status_code == 413
    assert body.read_bytes == 0
    html = response.content.decode()
    assert "上传的内容过大" in html and CHINESE_HOME_LINK in html


def test_other_pages_accept_far_less_than_upload_pages(client, secretary):
    client.force_login(secretary)
    response = client.post(
        reverse("password_change"), data=b"x", content_type="text/plain", CONTENT_LENGTH=str(3 * 2**20)
    )
    assert response.status_code == 413
    # The roster page takes 5 MB files.
    response = client.post(
        reverse("members:roster_import"),
        data=b"",
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(3 * 2**20),
    )
    assert response.status_code != 413


def test_undeclared_body_is_read_through_a_cap():
    factory = RequestFactory()
    body = CountingInput(25 * 2**20)
    request = factory.generic("POST", "/members/roster/import/", data=b"", content_type="application/octet-stream")
    request.META.pop("CONTENT_LENGTH", None)
    request.META["wsgi.input"] = body

    def view(request):
        return HttpResponse(len(request.read()))

    with pytest.raises(RequestDataTooBig):
        RequestGuardMiddleware(view)(request)
    assert body.read_bytes <= 5 * 2**20 + 256 * 1024 + 1


def test_capped_stream_reads_a_small_body_whole():
    stream = CappedStream(io.BytesIO(b"abc\ndef"), 100)
    assert stream.readline() == b"abc\n" and stream.read() == b"def"


# --- error pages under production-like settings ------------------------------


def boom(request):
    raise RuntimeError("secret internal detail: password=hunter2")


urlpatterns = [*site_patterns, path("boom/", boom)]


def _assert_chinese_error_page(response, status):
    html = response.content.decode()
    assert response.status_code == status
    assert CHINESE_HOME_LINK in html and 'lang="zh-hans"' in html
    for leak in ("Traceback", "hunter2", "secret internal", "Django", "DEBUG", "Not Found", "Forbidden", "CSRF"):
        assert leak not in html, leak


@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_error_pages_are_chinese_in_the_site_layout(member, url_args):  # noqa: F811
    client = Client(raise_request_exception=False)
    client.force_login(member, backend="django.contrib.auth.backends.ModelBackend")
    _assert_chinese_error_page(client.get("/no/such/page/"), 404)
    response = client.get(reverse("members:member_list"))  # a member typing a manager's URL
    _assert_chinese_error_page(response, 403)
    assert "无权" in response.content.decode()
    _assert_chinese_error_page(client.get("/training/lessons/?q=%00"), 400)
    _assert_chinese_error_page(client.get("/boom/"), 500)
    csrf_client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    csrf_client.force_login(member, backend="django.contrib.auth.backends.ModelBackend")
    _assert_chinese_error_page(csrf_client.post(reverse("password_change"), {}), 403)
    assert "表单已过期" in csrf_client.post(reverse("password_change"), {}).content.decode()


@override_settings(DEBUG=False)
def test_anonymous_error_pages_have_no_menu(client):
    response = client.get("/no/such/page/")
    assert response.status_code in (302, 404)


# --- hostile query strings: every list's filters -----------------------------

FILTERS = ("q", "branch", "status", "year", "kind", "page", "order", "scope", "view", "date", "saved", "field")
FILTERS += ("member", "viewer", "since", "until", "category", "period", "month", "week", "assignment", "lesson")
HOSTILE = (
    "\x00",
    "%00",
    "'; DROP TABLE members_member; --",
    "<script>alert(1)</script>",
    "-1",
    "99999999999999999999999",
    "2026-13-45",
    "1e308",
    "NaN",
    "０１",
    "x" * 3000,
    "%",
    RAW_INVALID_UTF8 := "%FF%FE",
)


@pytest.mark.parametrize("persona", ["member", "secretary", "leader"])
def test_no_filter_value_makes_any_page_fail(client, personas, url_args, persona):  # noqa: F811
    client.force_login(personas[persona])
    names = [n for n, rule in EXPECTED.items() if rule.get(persona) == 200]
    started = time.monotonic()
    failures = []
    for name in names:
        url = build_url(name, url_args)
        for value in HOSTILE:
            if value is RAW_INVALID_UTF8:
                response = client.get(url, QUERY_STRING="&".join(f"{key}={value}" for key in FILTERS))
            else:
                response = client.get(url, {key: value for key in FILTERS})
            if response.status_code >= 500:
                failures.append((name, repr(value[:20]), response.status_code))
            elif "\x00" in value:
                assert response.status_code == 400, name
    assert failures == []
    assert time.monotonic() - started < 300


@pytest.mark.parametrize("persona", ["secretary", "admin"])
def test_nul_in_a_posted_field_is_a_bad_request_everywhere(client, personas, url_args, persona):  # noqa: F811
    client.force_login(personas[persona])
    for name in EXPECTED:
        response = client.post(build_url(name, url_args), {"q": "a\x00b", "username": "\x00", "title": "\x00"})
        assert response.status_code == 400, name
