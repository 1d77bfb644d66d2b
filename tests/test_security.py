import os
import re
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.urls import reverse

from members.middleware import LAST_SEEN, LOGIN_AT
from members.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_csp_forbids_inline_scripts_and_styles(client, member):
    client.force_login(member)
    policy = client.get(reverse("home"))["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


# Data for charts travels in <script type="application/json">, which never runs.
INLINE_SCRIPT = re.compile(r'<script(?![^>]*\b(?:src=|type="application/json"))[^>]*>', re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=\"|\son[a-z]+=\"", re.I)


@pytest.mark.parametrize("persona", ["member", "secretary", "leader", "admin"])
def test_pages_have_no_inline_scripts_or_styles(client, personas, branch_a, persona):
    client.force_login(personas[persona])
    pages = [
        reverse("home"),
        reverse("branches:branch_list"),
        reverse("branches:branch_detail", args=[branch_a.pk]),
        reverse("password_change"),
    ]
    if persona != "member":
        pages += [reverse("members:member_list"), reverse("members:roster_import")]
    for url in pages:
        html = client.get(url).content.decode()
        assert not INLINE_SCRIPT.search(html), url
        assert not INLINE_STYLE.search(html), url


def test_login_page_has_no_inline_code(client):
    html = client.get(reverse("login")).content.decode()
    assert not INLINE_SCRIPT.search(html) and not INLINE_STYLE.search(html)


# The lockout rules are attacked in tests/security/test_lockout.py.


def test_correct_login_works_and_lands_on_home(client, member):
    response = client.post(reverse("login"), {"username": "member", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.session[LOGIN_AT] > 0


def test_passwords_need_twelve_characters(client, member):
    client.force_login(member)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Short-pw1!",
            "new_password2": "Short-pw1!",
        },
    )
    assert response.status_code == 200
    assert "new_password2" in response.context["form"].errors


def _age_session(client, **seconds_ago):
    session = client.session
    now = int(time.time())
    for key, ago in seconds_ago.items():
        session[key] = now - ago
    session.save()


def test_session_ends_after_idle_time(client, member):
    client.force_login(member)
    _age_session(client, **{LAST_SEEN: settings.SESSION_IDLE_TIMEOUT + 5, LOGIN_AT: settings.SESSION_IDLE_TIMEOUT + 5})
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.get(reverse("home")).status_code == 302


def test_session_survives_activity_within_idle_time(client, member):
    client.force_login(member)
    _age_session(client, **{LAST_SEEN: settings.SESSION_IDLE_TIMEOUT - 60, LOGIN_AT: 3600})
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("home")).status_code == 200


def test_session_ends_after_twelve_hours_even_when_active(client, member):
    client.force_login(member)
    assert settings.SESSION_MAX_AGE == 12 * 3600
    _age_session(client, **{LAST_SEEN: 10, LOGIN_AT: 12 * 3600 + 10})
    assert client.get(reverse("home")).status_code == 302


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("members:member_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_chinese_by_default_and_english_on_request(client, member):
    client.force_login(member)
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en")
    assert response["Content-Language"] == "zh-hans"
    assert "我的" in response.content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.get(reverse("home"))
    assert response["Content-Language"] == "en"
    assert "My upcoming lessons" in response.content.decode()


def _run_production(*args, **env):
    unset = ("SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE")
    environment = {k: v for k, v in os.environ.items() if k not in unset}
    environment.update(env, DJANGO_SETTINGS_MODULE="config.settings.production")
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_secret_key():
    result = _run_production("check", ALLOWED_HOSTS="party.example.org")
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = _run_production("check", SECRET_KEY="x" * 60)
    assert result.returncode != 0 and "ALLOWED_HOSTS" in result.stderr


def test_production_passes_the_deploy_check():
    result = _run_production(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="k3y-" + "abcdefghijklmnopqrstuvwxyz0123456789" * 2,
        ALLOWED_HOSTS="party.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
