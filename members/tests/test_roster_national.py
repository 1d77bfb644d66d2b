"""The roster as the national Party-member information system exports it, and Party standing."""

import datetime
import io

import pytest
from openpyxl import load_workbook

from branches.models import Branch
from branches.tests.factories import BranchFactory
from members.models import Member, Membership
from members.selectors.organisations import OrganisationResolver
from members.services.roster import RosterInvalid, roster_check, roster_export, roster_import
from members.tests.factories import MemberFactory, make_id_number
from members.tests.roster_files import (
    NATIONAL,
    national_csv,
    national_sheet_lines,
    national_xls,
    national_xlsx,
    roster_row,
)

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        list(Member.objects.order_by("pk").values()),
        list(Membership.objects.order_by("pk").values()),
    )


def person(n: int, branch_name: str, **overrides) -> dict:
    gender = overrides.pop("gender", "male")
    row = roster_row(
        n, branch_name, 身份证号=make_id_number(6000 + n, gender=gender), 性别="男" if gender == "male" else "女"
    )
    row.update(overrides)
    return row


@pytest.fixture
def people(branch_a, branch_b):
    """Five members of branch A and three of B, as the national system keeps them."""
    a = [person(n, branch_a.name) for n in range(1, 6)]
    a[1].update({"人员类别": "预备党员", "转为正式党员日期": None, "加入党组织日期": "2025-06-30"})
    a[2].update({"党籍状态": "停止党籍"})
    a[3].update({"党籍状态": ""})  # empty: 正常
    b = [person(n, branch_b.name, gender="female") for n in range(11, 14)]
    b[0].update({"党籍状态": "失联"})
    return a, b


def two_sheets(branch_a, branch_b, a, b) -> dict[str, list[list]]:
    # Sheet one names its branch in the merged title line, sheet two in its tab.
    return {
        "第一页": national_sheet_lines(f"{branch_a.parent.name}{branch_a.name}党员花名册", a),
        branch_b.name: national_sheet_lines("党员花名册", b),
    }


def assert_imported(a, b, branch_a, branch_b):
    assert Member.objects.count() == len(a) + len(b)
    by_id = {m.id_number: m for m in Member.objects.all()}
    assert {by_id[r["身份证号"]].branch_id for r in a} == {branch_a.pk}
    assert {by_id[r["身份证号"]].branch_id for r in b} == {branch_b.pk}
    assert by_id[a[0]["身份证号"]].status == Member.Status.FULL
    assert by_id[a[1]["身份证号"]].status == Member.Status.PROBATIONARY
    assert by_id[a[2]["身份证号"]].standing == Member.Standing.SUSPENDED
    assert by_id[a[3]["身份证号"]].standing == Member.Standing.NORMAL
    assert by_id[b[0]["身份证号"]].standing == Member.Standing.LOST_CONTACT
    assert by_id[a[0]["身份证号"]].joined_party_on == datetime.date(2010, 7, 1)
    assert by_id[a[0]["身份证号"]].full_member_on == datetime.date(2011, 7, 1)
    assert by_id[b[1]["身份证号"]].phone == b[1]["手机号码"]


def test_national_xlsx_with_titles_and_a_sheet_per_branch_imports(branch_a, branch_b, people):
    a, b = people
    file = national_xlsx(two_sheets(branch_a, branch_b, a, b))
    counts = roster_import(file, actor=None)
    assert counts == {"create": 8, "update": 0, "transfer": 0, "unchanged": 0}
    assert_imported(a, b, branch_a, branch_b)
    before = snapshot()
    file.seek(0)
    assert roster_import(file, actor=None) == {"create": 0, "update": 0, "transfer": 0, "unchanged": 8}
    assert snapshot() == before


def test_national_xls_imports_the_same_and_reimport_changes_nothing(branch_a, branch_b, people):
    a, b = people
    counts = roster_import(national_xls(two_sheets(branch_a, branch_b, a, b)), actor=None)
    assert counts["create"] == 8
    assert_imported(a, b, branch_a, branch_b)
    before = snapshot()
    # The .xlsx of the same roster agrees with the .xls, cell for cell.
    assert roster_import(national_xlsx(two_sheets(branch_a, branch_b, a, b)), actor=None)["unchanged"] == 8
    assert roster_import(national_xls(two_sheets(branch_a, branch_b, a, b)), actor=None)["unchanged"] == 8
    assert snapshot() == before


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
def test_national_csv_imports_in_gbk_and_utf8(branch_a, branch_b, people, encoding):
    a, b = people
    lines = national_sheet_lines("测试县交通运输局党员花名册", a + b, columns=NATIONAL)
    file = national_csv(lines, encoding=encoding)
    assert roster_import(file, actor=None)["create"] == 8
    assert_imported(a, b, branch_a, branch_b)
    file.seek(0)
    assert roster_import(file, actor=None)["unchanged"] == 8


def test_one_bad_row_on_the_second_sheet_saves_nothing_and_says_where(branch_a, branch_b, people):
    a, b = people
    b[2]["身份证号"] = b[2]["身份证号"][:17] + ("1" if b[2]["身份证号"][17] != "1" else "2")
    b[1]["入党日期"] = b[1]["加入党组织日期"] = "2021-02-30"
    with pytest.raises(RosterInvalid) as exc:
        roster_import(national_xlsx(two_sheets(branch_a, branch_b, a, b)), actor=None)
    # Title, date line, blank line, header: the members start on line 5.
    assert [(e.sheet, e.line, e.column) for e in exc.value.check.errors] == [
        (branch_b.name, 6, "入党日期"),
        (branch_b.name, 7, "公民身份号码"),
    ]
    assert Member.objects.count() == 0


def test_same_person_on_two_sheets_is_reported_with_the_first_sheet(branch_a, branch_b, people):
    a, b = people
    b[0]["身份证号"], b[0]["性别"] = a[0]["身份证号"], "男"
    check = roster_check(national_xlsx(two_sheets(branch_a, branch_b, a, b)), actor=None)
    assert [(e.sheet, e.line, e.column) for e in check.errors] == [(branch_b.name, 5, "公民身份号码")]
    assert "第一页" in check.errors[0].message


def test_sheet_without_a_branch_anywhere_is_reported_at_its_header(branch_a, people):
    a, _b = people
    check = roster_check(national_xlsx({"Sheet1": national_sheet_lines("党员花名册", a)}), actor=None)
    assert [(e.sheet, e.line, e.column) for e in check.errors] == [("Sheet1", 4, "所在党组织")]


def test_sheets_without_a_header_are_skipped_and_named(branch_a, people):
    a, _b = people
    sheets = {branch_a.name: national_sheet_lines("党员花名册", a), "填写说明": [["说明"], ["日期写作 2021-07-01"]]}
    check = roster_check(national_xlsx(sheets), actor=None)
    assert check.is_valid is True and len(check.rows) == 5
    assert check.skipped_sheets == ["填写说明"]


@pytest.mark.parametrize("separator", [" › ", "/", ">", " / "])
def test_organisation_path_resolves_by_walking_parent_names(branch_a, separator):
    path = f"{branch_a.parent.name}{separator}{branch_a.name}"
    assert OrganisationResolver(None).resolve(path) == (branch_a, "")
    branch, message = OrganisationResolver(None).resolve(f"别的党委{separator}{branch_a.name}")
    assert branch is None and "别的党委" in message


def test_organisation_outside_the_importers_scope_is_refused(branch_a, branch_b, secretary, people):
    a, b = people
    with pytest.raises(RosterInvalid) as exc:
        roster_import(national_xlsx(two_sheets(branch_a, branch_b, a, b)), actor=secretary)
    # Sheet two's tab names branch B, which the secretary of A does not manage:
    # the sheet has no branch, said once at its header.
    assert [(e.sheet, e.column) for e in exc.value.check.errors] == [(branch_b.name, "所在党组织")]
    lines = national_sheet_lines("党员花名册", b, columns=NATIONAL)
    check = roster_check(national_xlsx({"x": lines}), actor=secretary)
    assert {e.message for e in check.errors} == {f"您无权管理“{branch_b.name}”的党员。"}


@pytest.mark.skipif(
    Branch._meta.get_field("name").unique, reason="names are unique in the whole tree until sibling-only uniqueness"
)
def test_name_shared_by_two_organisations_is_ambiguous_but_a_path_is_not(committee, branch_a):
    other = BranchFactory(name="别的党委", code="other", kind=Branch.Kind.COMMITTEE)
    twin = BranchFactory(name=branch_a.name, code="twin", parent=other)
    resolver = OrganisationResolver(None)
    branch, message = resolver.resolve(branch_a.name)
    assert branch is None and "完整路径" in message
    assert resolver.resolve(f"别的党委/{branch_a.name}") == (twin, "")


def test_export_is_the_national_layout_and_imports_back_unchanged(branch_a, branch_b, people):
    a, b = people
    roster_import(national_xlsx(two_sheets(branch_a, branch_b, a, b)), actor=None)
    content = roster_export(Member.objects.select_related("branch").order_by("pk"), viewer=None)
    sheet = load_workbook(io.BytesIO(content)).active
    assert [c.value for c in sheet[1]] == NATIONAL
    values = {row[3]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values[a[2]["身份证号"]][16] == "停止党籍" and values[a[1]["身份证号"]][7] == "预备党员"
    assert values[b[0]["身份证号"]][8] == branch_b.name
    before = snapshot()
    assert roster_import(io.BytesIO(content), actor=None)["unchanged"] == 8
    assert snapshot() == before


def test_deceased_member_in_the_sheet_is_refused(branch_a):
    dead = MemberFactory(branch=branch_a, status=Member.Status.DECEASED)
    row = person(1, branch_a.name, 身份证号=dead.id_number, 姓名=dead.full_name)
    row["性别"] = {"male": "男", "female": "女"}[dead.gender]
    row["出生日期"] = dead.birth_date.isoformat()
    check = roster_check(national_xlsx({branch_a.name: national_sheet_lines("花名册", [row])}), actor=None)
    assert [(e.line, e.column) for e in check.errors] == [(5, "公民身份号码")]
    assert "已故" in check.errors[0].message


def test_xls_over_the_row_limit_is_refused(branch_a):
    lines = [["党员花名册"], list(NATIONAL)] + [[n, f"测试{n}"] for n in range(5100)]
    check = roster_check(national_xls({branch_a.name: lines}), actor=None)
    assert [(e.line, e.message) for e in check.errors] == [(0, "工作表超过 5000 行，无法读取。")]


def test_damaged_xls_is_refused_with_a_message(db):
    file = io.BytesIO(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    check = roster_check(file, actor=None)
    assert check.is_valid is False and ".xls" in check.errors[0].message


def test_csv_that_is_neither_utf8_nor_gbk_is_refused(db):
    check = roster_check(io.BytesIO("姓名,身份证号\n".encode("utf-16")), actor=None)
    assert check.is_valid is False and "GBK" in check.errors[0].message


def test_departed_members_export_and_read_back_as_unchanged(branch_a):
    alive = MemberFactory(branch=branch_a)
    dead = MemberFactory(branch=branch_a, status=Member.Status.DECEASED)
    gone = MemberFactory(branch=branch_a, status=Member.Status.TRANSFERRED_OUT)
    content = roster_export(Member.objects.select_related("branch").order_by("pk"), viewer=None)
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(min_row=2, values_only=True))
    assert [row[7] for row in rows] == ["正式党员", "已故", "已转出"]
    before = snapshot()
    assert roster_import(io.BytesIO(content), actor=None)["unchanged"] == 3
    assert snapshot() == before
    assert {alive.pk, dead.pk, gone.pk} == set(Member.objects.values_list("pk", flat=True))


def test_the_roster_cannot_record_a_death(branch_a):
    alive = MemberFactory(branch=branch_a)
    row = person(1, branch_a.name, 身份证号=alive.id_number, 姓名=alive.full_name, 人员类别="已故")
    row["出生日期"] = alive.birth_date.isoformat()
    check = roster_check(national_xlsx({branch_a.name: national_sheet_lines("花名册", [row])}), actor=None)
    assert [(e.line, e.column) for e in check.errors] == [(5, "人员类别")]
    assert "成员页面" in check.errors[0].message or "党员信息页" in check.errors[0].message
