"""Attack: read other members' full ID and phone numbers; the one door and its access log."""

import datetime
import io
import zipfile

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry
from members.models import IdentityAccess, Member
from members.sensitive import access_log_purge
from members.services.roster import roster_export
from tests.test_url_roles import APP_NAMES, PERSONAS, all_personas, build_url, url_args  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


def identity_permission():
    return Permission.objects.get(content_type__app_label="members", codename="view_full_identity")


def _text_of(response) -> str:
    """The body as text; an .xlsx or other zip is read part by part."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if zipfile.is_zipfile(io.BytesIO(content)):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    return content.decode("utf-8", "replace")


@pytest.mark.parametrize("persona", PERSONAS[1:])
def test_no_page_or_export_shows_another_members_full_numbers(client, all_personas, url_args, persona):  # noqa: F811
    personas = all_personas
    client.force_login(personas[persona])
    me = Member.objects.filter(user=personas[persona]).first()
    others = Member.objects.exclude(pk=me.pk if me else None)
    secrets = [m.id_number for m in others] + [m.phone for m in others]
    assert len(secrets) >= 4
    leaks = []
    for name in APP_NAMES:
        if name in ("logout", "set_language"):
            continue
        response = client.get(build_url(name, url_args))
        text = _text_of(response)
        leaks += [(name, s) for s in secrets if s in text]
    edit = client.get(reverse("members:member_edit", args=[url_args["member_id"]]))
    leaks += [("member_edit", s) for s in secrets if s in _text_of(edit)]
    if persona == "admin":
        # A superuser holds every permission: what they see in full is logged.
        assert leaks
        logged = set(IdentityAccess.objects.filter(viewer=personas[persona]).values_list("member__id_number", "field"))
        for member in others:
            if any(s == member.id_number for _n, s in leaks):
                assert (member.id_number, "id_number") in logged
    else:
        assert leaks == []
        assert not IdentityAccess.objects.exists()


@pytest.mark.parametrize("persona", ["secretary", "leader"])
def test_edit_form_holds_masked_numbers_and_keeps_them_when_unchanged(client, personas, member, persona):
    target = Member.objects.get(user=member)
    client.force_login(personas[persona])
    url = reverse("members:member_edit", args=[target.pk])
    html = client.get(url).content.decode()
    assert target.id_number not in html and target.phone not in html
    masked_id = target.id_number[:4] + "*" * 10 + target.id_number[-4:]
    masked_phone = target.phone[:3] + "****" + target.phone[-4:]
    assert f'value="{masked_id}"' in html and f'value="{masked_phone}"' in html
    data = {
        "full_name": "张三丰",
        "gender": target.gender,
        "birth_date": target.birth_date.isoformat(),
        "id_number": masked_id,
        "phone": masked_phone,
        "joined_party_on": target.joined_party_on.isoformat(),
        "full_member_on": target.full_member_on.isoformat(),
        "status": target.status,
    }
    assert client.post(url, data).status_code == 302
    saved = Member.objects.get(pk=target.pk)
    assert (saved.full_name, saved.id_number, saved.phone) == ("张三丰", target.id_number, target.phone)
    # A new phone number replaces the stored one; the audit log keeps it masked.
    assert client.post(url, {**data, "phone": "13912345678"}).status_code == 302
    assert Member.objects.get(pk=target.pk).phone == "13912345678"
    entry = AuditEntry.objects.filter(action="member.updated").latest("pk")
    assert entry.payload["phone"] == [masked_phone, "139****5678"]


def test_identity_holder_sees_full_numbers_and_every_view_is_logged(client, secretary, member):
    target = Member.objects.get(user=member)
    secretary.user_permissions.add(identity_permission())
    client.force_login(secretary)
    detail = reverse("members:member_detail", args=[target.pk])
    html = client.get(detail).content.decode()
    assert target.id_number in html and target.phone in html
    rows = IdentityAccess.objects.filter(member=target, viewer=secretary, where=detail)
    assert sorted(rows.values_list("field", flat=True)) == ["id_number", "phone"]
    html = client.get(reverse("members:member_edit", args=[target.pk])).content.decode()
    assert f'value="{target.id_number}"' in html
    assert IdentityAccess.objects.filter(where=reverse("members:member_edit", args=[target.pk])).count() == 2


def test_own_record_is_not_logged(client, member):
    target = Member.objects.get(user=member)
    client.force_login(member)
    html = client.get(reverse("members:member_detail", args=[target.pk])).content.decode()
    assert target.id_number in html
    assert not IdentityAccess.objects.exists()


def test_roster_export_masks_without_permission_and_logs_with_it(client, secretary, member):
    target = Member.objects.get(user=member)
    client.force_login(secretary)
    text = _text_of(client.get(reverse("members:member_export")))
    assert target.id_number not in text and target.id_number[-4:] in text
    assert not IdentityAccess.objects.exists()
    secretary.user_permissions.add(identity_permission())
    client.force_login(secretary)  # a new request: roles are loaded again
    text = _text_of(client.get(reverse("members:member_export")))
    assert target.id_number in text
    assert IdentityAccess.objects.filter(member=target, field="id_number", where=reverse("members:member_export"))


def test_command_export_is_logged_as_the_system(member):
    roster_export(Member.objects.select_related("branch"), viewer=None, where="manage.py export_roster")
    assert IdentityAccess.objects.filter(viewer=None, viewer_name="system", where="manage.py export_roster").exists()


def test_access_log_page_filters_and_is_closed_to_managers(client, secretary, admin_user, member, leader):
    target = Member.objects.get(user=member)
    secretary.user_permissions.add(identity_permission())
    client.force_login(secretary)
    client.get(reverse("members:member_detail", args=[target.pk]))
    url = reverse("members:access_log")
    client.force_login(leader)
    assert client.get(url).status_code == 403
    client.force_login(admin_user)
    html = client.get(url, {"viewer": "secretary", "field": "phone"}).content.decode()
    assert "张三" in html and "1 条记录" in html
    html = client.get(url, {"viewer": "nobody"}).content.decode()
    assert "0 条记录" in html
    client.force_login(secretary)
    assert client.get(url, {"member": "张三", "since": "2000-01-01", "until": "bad"}).status_code == 200


def test_purge_keeps_the_retention_period(settings, member):
    settings.IDENTITY_ACCESS_RETENTION_DAYS = 30
    target = Member.objects.get(user=member)
    now = timezone.now()
    old = IdentityAccess.objects.create(
        viewer_name="x", member=target, field="phone", where="/", at=now - datetime.timedelta(days=31)
    )
    new = IdentityAccess.objects.create(
        viewer_name="x", member=target, field="phone", where="/", at=now - datetime.timedelta(days=29)
    )
    assert access_log_purge(now=now) == 1
    assert list(IdentityAccess.objects.values_list("pk", flat=True)) == [new.pk]
    assert not IdentityAccess.objects.filter(pk=old.pk).exists()


def test_admin_change_form_logs_full_numbers_and_the_list_stays_masked(client, admin_user, member):
    target = Member.objects.get(user=member)
    client.force_login(admin_user)
    html = client.get(reverse("admin:members_member_changelist")).content.decode()
    assert target.id_number not in html and target.phone not in html
    url = reverse("admin:members_member_change", args=[target.pk])
    html = client.get(url).content.decode()
    assert target.id_number in html
    assert sorted(IdentityAccess.objects.filter(where=url).values_list("field", flat=True)) == ["id_number", "phone"]


def test_sms_log_masks_the_phone(caplog):
    from members.sms import LoggingBackend

    with caplog.at_level("INFO", logger="members.sms"):
        LoggingBackend().send(phone="13812345678", text="提醒", key="k")
    assert "13812345678" not in caplog.text and "138****5678" in caplog.text
