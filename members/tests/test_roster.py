import datetime

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from core.models import AuditEntry
from members.models import Member, Membership
from members.services.roster import RosterInvalid, roster_check, roster_export, roster_import
from members.tests.factories import MemberFactory, make_id_number
from members.tests.roster_files import roster_file, roster_row

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        list(Member.objects.order_by("pk").values()),
        list(Membership.objects.order_by("pk").values()),
    )


def test_good_file_imports_every_row_with_membership(branch_a, branch_b):
    rows = [
        roster_row(1, branch_a.name),
        roster_row(2, branch_b.name, 性别="女", 身份证号=make_id_number(77, gender="female")),
    ]
    counts = roster_import(roster_file(rows), actor=None)
    assert counts == {"create": 2, "update": 0, "transfer": 0, "unchanged": 0}
    first = Member.objects.get(id_number=rows[0]["身份证号"])
    assert first.branch == branch_a and first.full_name == "测试1号"
    assert first.joined_party_on == datetime.date(2010, 7, 1)
    assert first.birth_date == datetime.date(
        int(rows[0]["身份证号"][6:10]), int(rows[0]["身份证号"][10:12]), int(rows[0]["身份证号"][12:14])
    )
    assert Member.objects.get(id_number=rows[1]["身份证号"]).gender == Member.Gender.FEMALE
    assert Membership.objects.filter(member=first, branch=branch_a, end_on__isnull=True).count() == 1


def test_reimporting_the_same_file_changes_nothing(branch_a):
    rows = [roster_row(n, branch_a.name) for n in range(1, 6)]
    roster_import(roster_file(rows), actor=None)
    before, audit_before = snapshot(), AuditEntry.objects.count()
    counts = roster_import(roster_file(rows), actor=None)
    assert counts == {"create": 0, "update": 0, "transfer": 0, "unchanged": 5}
    assert snapshot() == before
    assert AuditEntry.objects.count() == audit_before


def test_known_id_number_updates_instead_of_duplicating(branch_a):
    existing = MemberFactory(branch=branch_a, full_name="旧名字")
    row = roster_row(
        1, branch_a.name, 身份证号=existing.id_number, 姓名="新名字", 出生日期=existing.birth_date.isoformat()
    )
    counts = roster_import(roster_file([row]), actor=None)
    assert counts["update"] == 1
    assert Member.objects.filter(id_number=existing.id_number).count() == 1
    existing.refresh_from_db()
    assert existing.full_name == "新名字" and existing.name_initials == "xmz"


def test_known_member_in_other_branch_is_transferred_with_history(branch_a, branch_b):
    existing = MemberFactory(branch=branch_a)
    row = roster_row(1, branch_b.name, 身份证号=existing.id_number, 姓名=existing.full_name)
    roster_import(roster_file([row]), actor=None)
    existing.refresh_from_db()
    assert existing.branch == branch_b
    history = list(Membership.objects.filter(member=existing).order_by("start_on").values_list("branch_id", "end_on"))
    assert history[0][0] == branch_a.pk and history[0][1] is not None
    assert history[1] == (branch_b.pk, None)


VALID_ID = make_id_number(4242)
WRONG_CHECK_ID = VALID_ID[:17] + ("1" if VALID_ID[17] != "1" else "2")

BAD_ROWS = {
    "missing required value": ({"姓名": ""}, "姓名"),
    "wrong check digit": ({"身份证号": WRONG_CHECK_ID}, "身份证号"),
    "date that does not exist": ({"加入党组织日期": "2021-02-30"}, "加入党组织日期"),
    "joining after full membership": (
        {"加入党组织日期": "2015-07-01", "转为正式党员日期": "2014-07-01"},
        "转为正式党员日期",
    ),
    "unknown branch": ({"所在党组织": "不存在的支部"}, "所在党组织"),
    "malformed phone": ({"手机号码": "12345"}, "手机号码"),
    "gender against ID": ({"性别": "女"}, "性别"),
    "birth date against ID": ({"出生日期": "1901-01-01"}, "出生日期"),
    "unknown standing": ({"党籍状态": "不知道"}, "党籍状态"),
    "old-style status in the standing column": ({"党籍状态": "正式党员"}, "党籍状态"),
    "unknown category": ({"人员类别": "在职"}, "人员类别"),
    "missing category": ({"人员类别": ""}, "人员类别"),
    "ID as a number": ({"身份证号": 510104199001011234}, "身份证号"),
}


@pytest.mark.parametrize("case", BAD_ROWS.keys())
def test_bad_file_reports_row_and_column_and_writes_nothing(branch_a, case):
    overrides, column = BAD_ROWS[case]
    rows = [roster_row(1, branch_a.name), roster_row(2, branch_a.name, **overrides), roster_row(3, branch_a.name)]
    before = snapshot()
    with pytest.raises(RosterInvalid) as exc:
        roster_import(roster_file(rows), actor=None)
    errors = exc.value.check.errors
    assert [(e.line, e.column) for e in errors] == [(3, column)]
    assert errors[0].message
    assert snapshot() == before


def test_same_id_twice_in_file_is_refused(branch_a):
    rows = [roster_row(1, branch_a.name), roster_row(2, branch_a.name)]
    rows[1]["身份证号"] = rows[0]["身份证号"]
    with pytest.raises(RosterInvalid) as exc:
        roster_import(roster_file(rows), actor=None)
    assert [(e.line, e.column) for e in exc.value.check.errors] == [(3, "身份证号")]
    assert Member.objects.count() == 0


def test_missing_required_column_is_reported(branch_a):
    columns = [c for c in roster_row(1, branch_a.name) if c != "人员类别"]
    check = roster_check(roster_file([roster_row(1, branch_a.name)], columns=columns), actor=None)
    assert [(e.line, e.column) for e in check.errors] == [(1, "人员类别")]


def test_missing_optional_column_leaves_the_field_as_it_is(branch_a):
    existing = MemberFactory(branch=branch_a, party_group="第二党小组", standing=Member.Standing.LOST_CONTACT)
    row = roster_row(1, branch_a.name, 身份证号=existing.id_number, 姓名=existing.full_name)
    columns = [c for c in row if c not in ("党小组", "党籍状态")]
    roster_import(roster_file([row], columns=columns), actor=None)
    existing.refresh_from_db()
    assert existing.party_group == "第二党小组" and existing.standing == Member.Standing.LOST_CONTACT


def test_not_an_excel_file_is_reported(db):
    import io

    check = roster_check(io.BytesIO(b"not a workbook"), actor=None)
    assert not check.is_valid and check.errors[0].line == 0


def test_messages_are_in_chinese_by_default(branch_a):
    rows = [roster_row(1, branch_a.name, 手机号码="12345")]
    check = roster_check(roster_file(rows), actor=None)
    assert "手机号" in check.errors[0].message


def test_secretary_cannot_import_into_another_branch(branch_a, branch_b, secretary):
    rows = [roster_row(1, branch_a.name), roster_row(2, branch_b.name)]
    with pytest.raises(RosterInvalid) as exc:
        roster_import(roster_file(rows), actor=secretary)
    assert [(e.line, e.column) for e in exc.value.check.errors] == [(3, "所在党组织")]


def test_export_uses_the_roster_columns_and_round_trips(branch_a):
    rows = [roster_row(n, branch_a.name) for n in range(1, 4)]
    roster_import(roster_file(rows), actor=None)
    members = Member.objects.select_related("branch").order_by("pk")
    content = roster_export(members, viewer=None)
    import io

    sheet = load_workbook(io.BytesIO(content)).active
    header = [c.value for c in sheet[1]]
    assert header == [
        "序号", "姓名", "性别", "公民身份号码", "民族", "出生日期", "学历", "人员类别", "所在党支部",
        "入党日期", "转正日期", "工作岗位", "党内职务", "党小组", "联系电话", "固定电话", "党籍状态",
    ]  # fmt: skip
    assert sheet.cell(row=2, column=4).value == rows[0]["身份证号"]
    before = snapshot()
    assert roster_import(io.BytesIO(content), actor=None)["unchanged"] == 3
    assert snapshot() == before


def test_export_masks_identity_for_a_secretary(branch_a, secretary):
    target = MemberFactory(branch=branch_a)
    content = roster_export(Member.objects.filter(pk=target.pk).select_related("branch"), viewer=secretary)
    import io

    row = [c.value for c in load_workbook(io.BytesIO(content)).active[2]]
    assert row[3] == target.id_number[:4] + "*" * 10 + target.id_number[-4:]
    assert row[14] == target.phone[:3] + "****" + target.phone[-4:]


def test_import_command_fails_with_the_error_list_and_writes_nothing(tmp_path, branch_a, capsys):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(roster_file([roster_row(1, branch_a.name, 手机号码="999")]).getvalue())
    with pytest.raises(CommandError):
        call_command("import_roster", str(path))
    assert "手机号码" in capsys.readouterr().err
    assert Member.objects.count() == 0


def test_import_and_export_commands(tmp_path, branch_a):
    source = tmp_path / "in.xlsx"
    source.write_bytes(roster_file([roster_row(n, branch_a.name) for n in (1, 2)]).getvalue())
    call_command("import_roster", str(source))
    assert Member.objects.count() == 2
    target = tmp_path / "out.xlsx"
    call_command("export_roster", str(target))
    sheet = load_workbook(target).active
    assert sheet.max_row == 3
