import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from core.models import AuditEntry
from members.models import Member, Membership
from members.permissions import IDENTITY_PERMISSION
from members.tests.factories import MemberFactory
from members.tests.roster_files import (
    NATIONAL,
    national_csv,
    national_sheet_lines,
    national_xls,
    national_xlsx,
    roster_file,
    roster_row,
)

pytestmark = pytest.mark.django_db


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("url_name", "persona"),
    [
        ("members:member_list", "secretary"),
        ("branches:branch_list", "leader"),
        ("home", "leader"),
        ("home", "secretary"),
        ("home", "member"),
        ("branches:branch_detail", "secretary"),
    ],
)
def test_pages_run_a_fixed_number_of_queries(client, personas, branch_a, branch_b, url_name, persona):
    client.force_login(personas[persona])
    url = reverse(url_name, args=[branch_a.pk]) if url_name == "branches:branch_detail" else reverse(url_name)
    MemberFactory.create_batch(5, branch=branch_a)
    MemberFactory.create_batch(5, branch=branch_b)
    count_queries(client, url)  # the first visit creates the year's default rules
    small = count_queries(client, url)
    MemberFactory.create_batch(45, branch=branch_a)
    MemberFactory.create_batch(45, branch=branch_b)
    assert count_queries(client, url) == small


def test_member_list_query_budget(client, secretary, branch_a, django_assert_num_queries):
    MemberFactory.create_batch(50, branch=branch_a)
    client.force_login(secretary)
    client.get(reverse("members:member_list"))  # warm the session
    with django_assert_num_queries(8):
        response = client.get(reverse("members:member_list"))
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 25


def test_secretary_sees_only_their_branch(client, secretary, member, outsider, branch_a):
    client.force_login(secretary)
    response = client.get(reverse("members:member_list"))
    names = {m.full_name for m in response.context["page"]}
    assert "李四" not in names and "张三" in names


def test_leader_sees_every_branch(client, leader, personas):
    client.force_login(leader)
    response = client.get(reverse("members:member_list"))
    assert {m.full_name for m in response.context["page"]} >= {"张三", "李四", "书记甲"}


@pytest.mark.parametrize("query", ["zs", "zhangsan", "张", "ZS"])
def test_search_finds_by_name_and_pinyin_initials(client, secretary, member, query):
    client.force_login(secretary)
    response = client.get(reverse("members:member_list"), {"q": query})
    assert [m.full_name for m in response.context["page"]] == ["张三"]


def test_search_by_id_number_needs_the_identity_permission(client, secretary, member):
    target = Member.objects.get(user=member)
    client.force_login(secretary)
    response = client.get(reverse("members:member_list"), {"q": target.id_number})
    assert list(response.context["page"]) == []
    secretary.user_permissions.add(_identity_permission())
    response = client.get(reverse("members:member_list"), {"q": target.id_number})
    assert [m.pk for m in response.context["page"]] == [target.pk]


def test_filter_by_status_and_pagination(client, leader, branch_a):
    MemberFactory.create_batch(30, branch=branch_a, status=Member.Status.PROBATIONARY, full_member_on=None)
    client.force_login(leader)
    response = client.get(reverse("members:member_list"), {"status": "probationary", "page": 2})
    assert response.context["page"].paginator.count == 30
    assert len(response.context["page"].object_list) == 5


def _identity_permission():
    from django.contrib.auth.models import Permission

    app_label, codename = IDENTITY_PERMISSION.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def test_identity_is_masked_on_pages_for_a_secretary(client, secretary, member):
    target = Member.objects.get(user=member)
    client.force_login(secretary)
    for url in (reverse("members:member_list"), reverse("members:member_detail", args=[target.pk])):
        html = client.get(url).content.decode()
        assert target.id_number not in html and target.phone not in html
        assert target.id_number[:4] + "*" * 10 + target.id_number[-4:] in html
        assert target.phone[:3] + "****" + target.phone[-4:] in html


def test_member_sees_their_own_identity_in_full(client, member):
    target = Member.objects.get(user=member)
    client.force_login(member)
    html = client.get(reverse("members:member_detail", args=[target.pk])).content.decode()
    assert target.id_number in html and target.phone in html


def test_identity_permission_shows_full_numbers(client, secretary, member):
    target = Member.objects.get(user=member)
    secretary.user_permissions.add(_identity_permission())
    client.force_login(secretary)
    html = client.get(reverse("members:member_detail", args=[target.pk])).content.decode()
    assert target.id_number in html


def test_admin_list_masks_without_the_identity_permission(client, member):
    from members.tests.factories import UserFactory

    target = Member.objects.get(user=member)
    staff = UserFactory(username="clerk", is_staff=True)
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(Permission.objects.get(codename="view_member"))
    client.force_login(staff)
    html = client.get(reverse("admin:members_member_changelist")).content.decode()
    assert target.id_number not in html and target.id_number[-4:] in html
    html = client.get(reverse("admin:members_member_change", args=[target.pk])).content.decode()
    assert target.id_number not in html


def test_member_cannot_read_another_member_of_their_branch(client, member, secretary):
    other = Member.objects.get(user=secretary)
    client.force_login(member)
    assert client.get(reverse("members:member_detail", args=[other.pk])).status_code == 403


def test_edit_saves_and_audits(client, secretary, member):
    target = Member.objects.get(user=member)
    client.force_login(secretary)
    data = {
        "full_name": "张三丰",
        "gender": target.gender,
        "id_number": target.id_number,
        "birth_date": target.birth_date.isoformat(),
        "joined_party_on": "2005-07-01",
        "full_member_on": "2006-07-01",
        "status": "full",
        "phone": "13900001111",
    }
    response = client.post(reverse("members:member_edit", args=[target.pk]), data)
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.full_name == "张三丰" and target.name_initials == "zsf"
    entry = AuditEntry.objects.get(action="member.updated", target_id=str(target.pk))
    assert entry.payload["full_name"] == ["张三", "张三丰"] and entry.actor == secretary


def test_edit_with_bad_input_redisplays_and_keeps_values(client, secretary, member):
    target = Member.objects.get(user=member)
    client.force_login(secretary)
    data = {
        "full_name": "张三丰",
        "gender": target.gender,
        "id_number": target.id_number[:17] + "0" if target.id_number[17] != "0" else target.id_number[:17] + "1",
        "joined_party_on": "2005-07-01",
        "full_member_on": "2004-07-01",
        "status": "full",
        "phone": "123",
    }
    response = client.post(reverse("members:member_edit", args=[target.pk]), data)
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"id_number", "phone", "full_member_on"}
    assert 'value="张三丰"' in response.content.decode()
    target.refresh_from_db()
    assert target.full_name == "张三"


def test_outsider_cannot_edit_by_changing_the_id(client, outsider, member):
    target = Member.objects.get(user=member)
    client.force_login(outsider)
    response = client.post(reverse("members:member_edit", args=[target.pk]), {"full_name": "x"})
    assert response.status_code == 404
    target.refresh_from_db()
    assert target.full_name == "张三"


def test_transfer_closes_and_opens_memberships(client, leader, member, branch_b):
    target = Member.objects.get(user=member)
    client.force_login(leader)
    response = client.post(
        reverse("members:member_transfer", args=[target.pk]),
        {"to_branch": branch_b.pk, "on": "2026-06-01"},
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.branch == branch_b
    rows = list(Membership.objects.filter(member=target).order_by("start_on").values_list("branch_id", "end_on"))
    assert rows[-1] == (branch_b.pk, None) and str(rows[0][1]) == "2026-05-31"


def test_roster_upload_previews_then_imports(client, secretary, branch_a):
    client.force_login(secretary)
    upload = roster_file([roster_row(1, branch_a.name), roster_row(2, branch_a.name)])
    response = client.post(reverse("members:roster_import"), {"file": upload})
    assert response.status_code == 200
    assert Member.objects.filter(full_name__startswith="测试").count() == 0
    response = client.post(reverse("members:roster_import_confirm"))
    assert response.status_code == 302
    assert Member.objects.filter(full_name__startswith="测试").count() == 2


@pytest.mark.parametrize("kind", ["xls", "gbk-csv"])
def test_national_roster_upload_previews_by_sheet_then_imports(client, secretary, branch_a, kind):
    client.force_login(secretary)
    rows = [roster_row(n, branch_a.name) for n in (1, 2, 3)]
    if kind == "xls":
        upload = national_xls({"第一页": national_sheet_lines(f"{branch_a.name}党员花名册", rows)})
    else:
        upload = national_csv(national_sheet_lines("党员花名册", rows, columns=NATIONAL), encoding="gbk")
    response = client.post(reverse("members:roster_import"), {"file": upload})
    assert response.status_code == 200
    assert [(r.sheet, r.line) for r in response.context["check"].rows][0][1] == 5
    assert Member.objects.filter(full_name__startswith="测试").count() == 0
    response = client.post(reverse("members:roster_import_confirm"))
    assert response.status_code == 302
    assert Member.objects.filter(full_name__startswith="测试", branch=branch_a).count() == 3


def test_national_roster_errors_name_the_sheet(client, secretary, branch_a):
    client.force_login(secretary)
    rows = [roster_row(1, branch_a.name), roster_row(2, branch_a.name, 手机号码="1")]
    upload = national_xlsx({"第一页": national_sheet_lines(f"{branch_a.name}党员花名册", rows)})
    response = client.post(reverse("members:roster_import"), {"file": upload})
    assert response.status_code == 400
    assert [(e.sheet, e.line, e.column) for e in response.context["check"].errors] == [("第一页", 6, "联系电话")]
    assert "<td>第一页</td>" in response.content.decode()
    assert Member.objects.filter(full_name__startswith="测试").count() == 0


def test_roster_upload_with_errors_lists_them_and_saves_nothing(client, secretary, branch_a):
    client.force_login(secretary)
    upload = roster_file([roster_row(1, branch_a.name, 手机号码="1"), roster_row(2, "不存在")])
    response = client.post(reverse("members:roster_import"), {"file": upload})
    assert response.status_code == 400
    errors = response.context["check"].errors
    assert [(e.line, e.column) for e in errors] == [(2, "手机号码"), (3, "所在党组织")]
    assert "roster-errors" in response.content.decode()
    assert client.post(reverse("members:roster_import_confirm")).status_code == 302
    assert Member.objects.filter(full_name__startswith="测试").count() == 0


def test_roster_upload_rejects_other_file_types(client, secretary):
    client.force_login(secretary)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(reverse("members:roster_import"), {"file": SimpleUploadedFile("a.pdf", b"x")})
    assert response.status_code == 400
    assert "file" in response.context["form"].errors


def test_plain_member_cannot_confirm_an_import(client, member):
    client.force_login(member)
    assert client.post(reverse("members:roster_import_confirm")).status_code == 403


def test_export_follows_the_filter(client, leader, branch_a, branch_b):
    MemberFactory.create_batch(3, branch=branch_a)
    MemberFactory.create_batch(2, branch=branch_b)
    client.force_login(leader)
    response = client.get(reverse("members:member_export"), {"branch": branch_b.pk})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row == 1 + 2
    assert {sheet.cell(row=r, column=9).value for r in (2, 3)} == {branch_b.name}


def test_template_download_has_the_header(client, secretary):
    client.force_login(secretary)
    response = client.get(reverse("members:roster_template"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[1]][:4] == ["序号", "姓名", "性别", "公民身份号码"]


@pytest.mark.parametrize("url_name", ["members:member_list", "members:member_export"])
def test_filtering_by_a_branch_the_user_may_not_see_is_404(client, secretary, branch_a, branch_b, url_name):
    client.force_login(secretary)
    assert client.get(reverse(url_name), {"branch": branch_b.pk}).status_code == 404
    assert client.get(reverse(url_name), {"branch": "999999"}).status_code == 404
    assert client.get(reverse(url_name), {"branch": branch_a.pk}).status_code == 200
