"""Attack: lock a secretary out before a meeting with wrong passwords from afar."""

import pytest
from django.conf import settings
from django.urls import reverse

from core.models import AuditEntry
from members.models import Member, Notification
from members.tests.factories import PASSWORD, MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


def _fail(client, username, address):
    return client.post(reverse("login"), {"username": username, "password": "wrong-password"}, REMOTE_ADDR=address)


def _login(client, username, address):
    return client.post(reverse("login"), {"username": username, "password": PASSWORD}, REMOTE_ADDR=address)


def test_five_failures_lock_the_username_only_from_that_address(client, secretary):
    assert settings.LOGIN_FAILURES_PER_ADDRESS == 5
    for _n in range(4):
        assert _fail(client, "secretary", "203.0.113.7").status_code == 200
    assert _fail(client, "secretary", "203.0.113.7").status_code == 429
    response = _login(client, "secretary", "203.0.113.7")
    assert response.status_code == 429 and "_auth_user_id" not in client.session
    assert "登录失败次数过多" in response.content.decode()
    # The secretary, at the office, still gets in.
    response = _login(client, "secretary", "10.1.1.1")
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(secretary.pk)


def test_attacker_spreading_over_addresses_locks_everywhere_only_at_the_high_count(client, secretary, admin_user):
    Member.objects.get(user=secretary)
    MemberFactory(user=admin_user, email="admin@example.org")
    limit = settings.LOGIN_FAILURES_PER_USERNAME
    assert limit >= 10 * settings.LOGIN_FAILURES_PER_ADDRESS
    for n in range(limit - 1):
        _fail(client, "secretary", f"198.51.100.{n % 250}")
    assert _login(client, "secretary", "10.1.1.1").status_code == 302  # below the limit: still open
    client.logout()
    for n in range(limit):
        _fail(client, "secretary", f"192.0.2.{n % 250}")
    response = _login(client, "secretary", "10.1.1.1")
    assert response.status_code == 429
    # The member and the administrators are told, once.
    owner = Notification.objects.filter(recipient__user=secretary, kind="login_locked", channel="in_app")
    admins = Notification.objects.filter(recipient__user=admin_user, kind="login_locked_admin", channel="in_app")
    assert owner.count() == 1 and admins.count() == 1
    assert "secretary" in admins.get().title
    assert AuditEntry.objects.filter(action="login.locked").count() == 1


def test_administrators_without_a_member_record_are_told_by_email(
    client, secretary, mailoutbox, django_capture_on_commit_callbacks
):
    UserFactory(username="root", is_superuser=True, email="root@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(settings.LOGIN_FAILURES_PER_USERNAME):
            _fail(client, "secretary", f"192.0.2.{n % 250}")
    assert [m.to for m in mailoutbox if "secretary" in m.subject] == [["root@example.org"]]


def test_administrator_unlocks_on_the_lockout_page(client, secretary, admin_user, member):
    for _n in range(5):
        _fail(client, "secretary", "203.0.113.7")
    assert _login(client, "secretary", "203.0.113.7").status_code == 429
    client.force_login(member)
    assert client.get(reverse("members:lockout_list")).status_code == 403
    assert client.post(reverse("members:lockout_unlock"), {"username": "secretary"}).status_code == 403
    client.force_login(admin_user)
    html = client.get(reverse("members:lockout_list")).content.decode()
    assert "secretary" in html and "解除锁定" in html
    assert client.post(reverse("members:lockout_unlock"), {"username": "\x00"}).status_code == 400
    response = client.post(reverse("members:lockout_unlock"), {"username": "secretary"})
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="login.unlocked", actor=admin_user).exists()
    client.logout()
    assert _login(client, "secretary", "203.0.113.7").status_code == 302


def test_unknown_usernames_lock_nothing_for_others(client, secretary):
    UserFactory(username="someone")
    for n in range(10):
        _fail(client, "nobody-here", f"203.0.113.{n}")
    assert _login(client, "secretary", "203.0.113.1").status_code == 302


def test_behind_the_proxy_a_forged_forwarded_for_does_not_dodge_the_lock(client, secretary, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(5):
        # The attacker writes a new address each time; the proxy appends the real one.
        client.post(
            reverse("login"),
            {"username": "secretary", "password": "wrong-password"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 203.0.113.7",
        )
    response = client.post(
        reverse("login"),
        {"username": "secretary", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.7",
    )
    assert response.status_code == 429
    response = client.post(
        reverse("login"),
        {"username": "secretary", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="10.1.1.1",
    )
    assert response.status_code == 302
