"""Online study hours: the platform export is checked row by row and imported all or nothing."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from core.models import AuditEntry
from members.models import Member
from members.permissions import roles_for
from members.tests.factories import MemberFactory, make_id_number
from training.models import OnlineStudyRecord
from training.services.online import (
    OnlineImportInvalid,
    online_hours_check,
    online_hours_import,
    online_record_list_for_user,
)

pytestmark = pytest.mark.django_db

COLUMNS = ("序号", "姓名", "身份证号", "手机号", "学习日期", "课程名称", "学时")


def table_row(person: Member, **overrides) -> dict:
    row = {
        "序号": 1,
        "姓名": person.full_name,
        "身份证号": person.id_number,
        "手机号": "",
        "学习日期": "2025-03-05",
        "课程名称": "学习贯彻党的二十大精神专题课",
        "学时": "2",
    }
    row.update(overrides)
    return row


def csv_file(rows, *, columns=COLUMNS, encoding="gbk", title=None) -> io.BytesIO:
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    if title:
        writer.writerow([title])
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    buffer = io.BytesIO(text.getvalue().encode(encoding))
    buffer.name = "online.csv"
    return buffer


def xlsx_file(rows, *, columns=COLUMNS, title=None) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
    sheet.append(list(columns))
    for row in rows:
        sheet.append([row.get(c) for c in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "online.xlsx"
    return buffer


def snapshot():
    return list(OnlineStudyRecord.objects.order_by("pk").values()), AuditEntry.objects.count()


@pytest.fixture
def people(branch_a):
    return [
        MemberFactory(branch=branch_a, full_name=name, phone=f"1370000000{n}")
        for n, name in enumerate(("王芳", "刘洋", "陈静"), start=1)
    ]


# --- reading good files ----------------------------------------------------


def test_good_gbk_csv_imports_every_row(people, secretary):
    rows = [table_row(p, 学时=str(n)) for n, p in enumerate(people, start=1)]
    counts = online_hours_import(csv_file(rows, encoding="gbk"), filename="学习记录.csv", actor=secretary)
    assert counts == {"new": 3, "existing": 0}
    records = list(OnlineStudyRecord.objects.order_by("hours"))
    assert [(r.member, r.hours) for r in records] == [(people[0], 1), (people[1], 2), (people[2], 3)]
    assert {(r.study_date, r.course, r.source, r.imported_by) for r in records} == {
        (datetime.date(2025, 3, 5), "学习贯彻党的二十大精神专题课", "学习记录.csv", secretary)
    }
    entry = AuditEntry.objects.get(action="online_hours.imported")
    assert entry.actor == secretary
    assert entry.payload == {
        "source": "学习记录.csv",
        "new": 3,
        "existing": 0,
        "members": 3,
        "from": "2025-03-05",
        "to": "2025-03-05",
    }


def test_gb18030_and_utf8_with_bom_are_read(people):
    row = table_row(people[0], 课程名称="党史学习教育·䶮")  # 䶮 is outside GBK
    for encoding in ("gb18030", "utf-8-sig", "utf-8"):
        check = online_hours_check(csv_file([row], encoding=encoding), filename="a.csv", actor=None)
        assert check.errors == [] and check.rows[0].course == "党史学习教育·䶮", encoding


def test_good_xlsx_with_other_header_names_imports(people, leader):
    columns = ("证件号码", "手机号码", "日期", "课程", "学时")
    # Excel cells have no time zone: the platform writes naive date-times.
    studied_at = datetime.datetime(2025, 4, 1, 9, 30)  # noqa: DTZ001
    rows = [
        {"证件号码": people[0].id_number, "日期": studied_at, "课程": "党章", "学时": 1.5},
        {"手机号码": int(people[1].phone), "日期": "2025/4/2", "课程": "党章", "学时": 2},
    ]
    counts = online_hours_import(xlsx_file(rows, columns=columns), filename="export.xlsx", actor=leader)
    assert counts == {"new": 2, "existing": 0}
    got = set(OnlineStudyRecord.objects.values_list("member", "study_date", "hours", "source"))
    assert got == {
        (people[0].pk, datetime.date(2025, 4, 1), Decimal("1.5"), "export.xlsx"),
        (people[1].pk, datetime.date(2025, 4, 2), Decimal("2.0"), "export.xlsx"),
    }


def test_title_line_above_the_header_is_skipped_and_rows_keep_their_numbers(people):
    rows = [table_row(people[0]), table_row(people[1], 学时="abc")]
    for file, name in (
        (xlsx_file(rows, title="某某网络学院学习记录"), "a.xlsx"),
        (csv_file(rows, title="某某网络学院学习记录"), "a.csv"),
    ):
        check = online_hours_check(file, filename=name, actor=None)
        assert [(e.line, e.column) for e in check.errors] == [(4, "学时")], name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-05", datetime.date(2025, 3, 5)),
        ("2025/3/5", datetime.date(2025, 3, 5)),
        ("2025年3月5日", datetime.date(2025, 3, 5)),
        ("20250305", datetime.date(2025, 3, 5)),
        ("2025-03-05 10:20:00", datetime.date(2025, 3, 5)),
    ],
)
def test_date_formats_of_the_platforms_are_read(people, text, expected):
    check = online_hours_check(csv_file([table_row(people[0], 学习日期=text)]), filename="a.csv", actor=None)
    assert check.errors == [] and check.rows[0].study_date == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2", "2.0"), ("1.25", "1.3"), ("0.5", "0.5"), ("2学时", "2.0"), (" 3 小时", "3.0"), ("24", "24.0")],
)
def test_hours_are_read_to_the_tenth(people, text, expected):
    check = online_hours_check(csv_file([table_row(people[0], 学时=text)]), filename="a.csv", actor=None)
    assert check.errors == [] and check.rows[0].hours == Decimal(expected)


def test_row_identified_by_phone_only(people):
    columns = ("手机号码", "学习日期", "课程名称", "学时")
    rows = [{"手机号码": "137 0000 0002", "学习日期": "2025-03-05", "课程名称": "党章", "学时": "1"}]
    counts = online_hours_import(csv_file(rows, columns=columns), filename="a.csv", actor=None)
    assert counts == {"new": 1, "existing": 0}
    assert OnlineStudyRecord.objects.get().member == people[1]


def test_id_number_wins_over_phone(people):
    row = table_row(people[0], 手机号=people[1].phone)
    check = online_hours_check(csv_file([row]), filename="a.csv", actor=None)
    assert check.errors == [] and check.rows[0].member == people[0]


# --- bad rows --------------------------------------------------------------

# Far enough ahead that the test still holds when it runs past midnight after being collected.
FUTURE = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
UNKNOWN_ID = make_id_number(8888)
WRONG_CHECK_ID = UNKNOWN_ID[:17] + ("1" if UNKNOWN_ID[17] != "1" else "2")

BAD_ROWS = {
    "no ID number and no phone": ({"身份证号": ""}, "身份证号"),
    "unknown ID number": ({"身份证号": UNKNOWN_ID}, "身份证号"),
    "ID number with a wrong check digit": ({"身份证号": WRONG_CHECK_ID}, "身份证号"),
    "ID number Excel wrote as a number": ({"身份证号": "5.10104E+17"}, "身份证号"),
    "unknown phone": ({"身份证号": "", "手机号": "13999999999"}, "手机号"),
    "malformed phone": ({"身份证号": "", "手机号": "12345"}, "手机号"),
    "name against the record": ({"姓名": "王二麻"}, "姓名"),
    "missing date": ({"学习日期": ""}, "学习日期"),
    "date that does not exist": ({"学习日期": "2025-02-30"}, "学习日期"),
    "unreadable date": ({"学习日期": "上周三"}, "学习日期"),
    "date in the future": ({"学习日期": FUTURE}, "学习日期"),
    "missing course": ({"课程名称": "  "}, "课程名称"),
    "course too long": ({"课程名称": "课" * 201}, "课程名称"),
    "missing hours": ({"学时": ""}, "学时"),
    "hours not a number": ({"学时": "两小时"}, "学时"),
    "hours NaN": ({"学时": "NaN"}, "学时"),
    "zero hours": ({"学时": "0"}, "学时"),
    "hours rounding to zero": ({"学时": "0.04"}, "学时"),
    "negative hours": ({"学时": "-1"}, "学时"),
    "more than a day": ({"学时": "24.5"}, "学时"),
}


@pytest.mark.parametrize("case", BAD_ROWS.keys())
def test_bad_row_is_reported_with_line_and_column_and_nothing_is_saved(people, secretary, case):
    overrides, column = BAD_ROWS[case]
    rows = [table_row(people[0]), table_row(people[1], **overrides), table_row(people[2])]
    before = snapshot()
    with pytest.raises(OnlineImportInvalid) as exc:
        online_hours_import(csv_file(rows), filename="a.csv", actor=secretary)
    errors = exc.value.check.errors
    assert [(e.line, e.column) for e in errors] == [(3, column)]
    assert errors[0].message
    assert snapshot() == before


def test_id_number_stored_as_a_number_in_xlsx_is_refused(people):
    rows = [table_row(people[0], 身份证号=510104199001011234)]
    check = online_hours_check(xlsx_file(rows), filename="a.xlsx", actor=None)
    assert [(e.line, e.column) for e in check.errors] == [(2, "身份证号")]
    assert "文本" in check.errors[0].message


def test_every_problem_of_a_row_is_reported(people):
    rows = [table_row(people[0], 姓名="某人", 学习日期="2025-13-01", 学时="x")]
    check = online_hours_check(csv_file(rows), filename="a.csv", actor=None)
    assert [(e.line, e.column) for e in check.errors] == [(2, "姓名"), (2, "学习日期"), (2, "学时")]


def test_same_member_date_and_course_twice_is_refused(people):
    # The second row names the same person by phone: still the same row.
    rows = [table_row(people[0]), table_row(people[0], 身份证号="", 手机号=people[0].phone)]
    with pytest.raises(OnlineImportInvalid) as exc:
        online_hours_import(csv_file(rows), filename="a.csv", actor=None)
    errors = exc.value.check.errors
    assert [(e.line, e.column) for e in errors] == [(3, "课程名称")]
    assert "2" in errors[0].message
    assert OnlineStudyRecord.objects.count() == 0


def test_phone_of_several_members_is_ambiguous(people, branch_a):
    MemberFactory(branch=branch_a, phone=people[0].phone)
    rows = [table_row(people[0], 身份证号="", 手机号=people[0].phone)]
    check = online_hours_check(csv_file(rows), filename="a.csv", actor=None)
    assert [(e.line, e.column) for e in check.errors] == [(2, "手机号")]
    # Naming the person by ID number settles it.
    assert online_hours_check(csv_file([table_row(people[0])]), filename="a.csv", actor=None).errors == []


def test_missing_columns_are_reported_on_the_header_line(people):
    columns = ("姓名", "身份证号", "学习日期", "课程名称")
    check = online_hours_check(csv_file([table_row(people[0])], columns=columns), filename="a.csv", actor=None)
    assert [(e.line, e.column) for e in check.errors] == [(1, "学时")]
    columns = ("姓名", "学习日期", "课程名称", "学时")
    check = online_hours_check(csv_file([table_row(people[0])], columns=columns), filename="a.csv", actor=None)
    assert [(e.line, e.column) for e in check.errors] == [(1, "身份证号／手机号")]


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (b"not a workbook", "a.xlsx"),
        (b"\xff\xfe\xff\xff", "a.csv"),
        (b"whatever", "a.xls"),
        ("姓名,身份证号,学习日期,课程名称,学时\r\n".encode("gbk"), "a.csv"),
    ],
)
def test_unreadable_or_empty_file_is_reported_for_the_whole_file(db, content, filename):
    check = online_hours_check(io.BytesIO(content), filename=filename, actor=None)
    assert not check.is_valid
    assert [e.line for e in check.errors] == [0]


# --- importing again -------------------------------------------------------


def test_reimporting_the_same_file_adds_nothing(people, secretary):
    rows = [table_row(p) for p in people]
    online_hours_import(csv_file(rows), filename="a.csv", actor=secretary)
    before = snapshot()
    check = online_hours_check(csv_file(rows), filename="a.csv", actor=secretary)
    assert check.is_valid and [r.action for r in check.rows] == ["existing"] * 3
    counts = online_hours_import(csv_file(rows), filename="a.csv", actor=secretary)
    assert counts == {"new": 0, "existing": 3}
    assert snapshot() == before


def test_a_longer_export_adds_only_its_new_rows(people):
    first = [table_row(people[0])]
    online_hours_import(csv_file(first), filename="march.csv", actor=None)
    longer = [*first, table_row(people[0], 学习日期="2025-03-06"), table_row(people[1])]
    counts = online_hours_import(xlsx_file(longer), filename="march-full.xlsx", actor=None)
    assert counts == {"new": 2, "existing": 1}
    assert OnlineStudyRecord.objects.count() == 3
    assert OnlineStudyRecord.objects.filter(source="march.csv").count() == 1


def test_existing_row_keeps_its_hours_and_the_preview_says_so(people):
    online_hours_import(csv_file([table_row(people[0], 学时="2")]), filename="a.csv", actor=None)
    check = online_hours_check(csv_file([table_row(people[0], 学时="3")]), filename="a.csv", actor=None)
    row = check.rows[0]
    assert row.action == "existing" and row.recorded_hours == Decimal("2.0") and row.hours_differ is True
    online_hours_import(csv_file([table_row(people[0], 学时="3")]), filename="a.csv", actor=None)
    assert OnlineStudyRecord.objects.get().hours == Decimal("2.0")


# --- who may import --------------------------------------------------------


def test_secretary_may_not_import_hours_for_other_branches(people, secretary, outsider, branch_b):
    stranger = Member.objects.get(user=outsider)
    rows = [table_row(people[0]), table_row(stranger), table_row(stranger, 身份证号="", 手机号=stranger.phone)]
    with pytest.raises(OnlineImportInvalid) as exc:
        online_hours_import(csv_file(rows), filename="a.csv", actor=secretary)
    errors = exc.value.check.errors
    assert [(e.line, e.column) for e in errors] == [(3, "身份证号"), (4, "手机号")]
    assert branch_b.name in errors[0].message
    assert OnlineStudyRecord.objects.count() == 0


def test_leadership_imports_for_every_branch(people, leader, outsider):
    rows = [table_row(people[0]), table_row(Member.objects.get(user=outsider))]
    assert online_hours_import(csv_file(rows), filename="a.csv", actor=leader) == {"new": 2, "existing": 0}


def test_plain_member_may_import_for_nobody(people, member):
    with pytest.raises(OnlineImportInvalid) as exc:
        online_hours_import(csv_file([table_row(people[0])]), filename="a.csv", actor=member)
    assert [(e.line, e.column) for e in exc.value.check.errors] == [(2, "身份证号")]


# --- views -----------------------------------------------------------------


def upload(rows, *, name="学习记录.csv", builder=csv_file):
    return SimpleUploadedFile(name, builder(rows).getvalue())


def pending_files(settings):
    folder = settings.MEDIA_ROOT / "online-hours-uploads"
    return list(folder.iterdir()) if folder.exists() else []


def test_upload_previews_then_confirm_imports(client, secretary, people, settings):
    client.force_login(secretary)
    response = client.get(reverse("online:hours_import"))
    assert response.status_code == 200
    response = client.post(reverse("online:hours_import"), {"file": upload([table_row(p) for p in people])})
    assert response.status_code == 200
    assert response.context["counts"] == {"new": 3, "existing": 0}
    assert reverse("online:hours_import_confirm") in response.content.decode()
    assert OnlineStudyRecord.objects.count() == 0
    response = client.post(reverse("online:hours_import_confirm"))
    assert response.status_code == 302 and response["Location"] == reverse("online:record_list")
    assert set(OnlineStudyRecord.objects.values_list("source", "imported_by")) == {("学习记录.csv", secretary.pk)}
    assert OnlineStudyRecord.objects.count() == 3
    assert pending_files(settings) == []
    # The upload was used up: confirming again imports nothing.
    assert client.post(reverse("online:hours_import_confirm")).status_code == 302
    assert OnlineStudyRecord.objects.count() == 3


def test_xlsx_upload_previews_then_imports(client, leader, people):
    client.force_login(leader)
    file = upload([table_row(people[0])], name="export.xlsx", builder=xlsx_file)
    assert client.post(reverse("online:hours_import"), {"file": file}).status_code == 200
    assert client.post(reverse("online:hours_import_confirm")).status_code == 302
    assert OnlineStudyRecord.objects.get().source == "export.xlsx"


def test_upload_with_errors_is_400_lists_them_and_saves_nothing(client, secretary, people, settings):
    client.force_login(secretary)
    good = upload([table_row(people[0])])
    assert client.post(reverse("online:hours_import"), {"file": good}).status_code == 200
    bad = upload([table_row(people[0], 学时="x"), table_row(people[1], 学习日期="2025-02-30")])
    response = client.post(reverse("online:hours_import"), {"file": bad})
    assert response.status_code == 400
    assert [(e.line, e.column) for e in response.context["check"].errors] == [(2, "学时"), (3, "学习日期")]
    content = response.content.decode()
    assert 'id="online-errors"' in content and reverse("online:hours_import_confirm") not in content
    # The bad upload replaced the good one waiting for confirmation.
    assert pending_files(settings) == []
    assert client.post(reverse("online:hours_import_confirm")).status_code == 302
    assert OnlineStudyRecord.objects.count() == 0


def test_uploading_an_imported_file_again_previews_already_imported(client, secretary, people, settings):
    online_hours_import(csv_file([table_row(p) for p in people]), filename="a.csv", actor=secretary)
    client.force_login(secretary)
    response = client.post(reverse("online:hours_import"), {"file": upload([table_row(p) for p in people])})
    assert response.status_code == 200
    assert [r.action for r in response.context["check"].rows] == ["existing"] * 3
    assert response.content.decode().count("badge text-bg-secondary") == 3
    assert reverse("online:hours_import_confirm") not in response.content.decode()
    assert pending_files(settings) == []
    assert OnlineStudyRecord.objects.count() == 3


def test_upload_rejects_other_file_types(client, secretary):
    client.force_login(secretary)
    response = client.post(reverse("online:hours_import"), {"file": SimpleUploadedFile("a.xls", b"x")})
    assert response.status_code == 400
    assert "file" in response.context["form"].errors


def test_secretary_upload_for_another_branch_is_refused(client, secretary, outsider):
    client.force_login(secretary)
    response = client.post(
        reverse("online:hours_import"), {"file": upload([table_row(Member.objects.get(user=outsider))])}
    )
    assert response.status_code == 400
    assert [(e.line, e.column) for e in response.context["check"].errors] == [(2, "身份证号")]


@pytest.mark.parametrize("persona", ["member", "outsider"])
def test_plain_members_get_403_everywhere(client, personas, people, persona):
    client.force_login(personas[persona])
    assert client.get(reverse("online:hours_import")).status_code == 403
    response = client.post(reverse("online:hours_import"), {"file": upload([table_row(people[0])])})
    assert response.status_code == 403
    assert client.post(reverse("online:hours_import_confirm")).status_code == 403
    assert client.get(reverse("online:record_list")).status_code == 403
    assert OnlineStudyRecord.objects.count() == 0


def test_anonymous_is_sent_to_login(client):
    for name in ("online:hours_import", "online:record_list"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_confirm_is_post_only(client, secretary):
    client.force_login(secretary)
    assert client.get(reverse("online:hours_import_confirm")).status_code == 405


# --- the records list ------------------------------------------------------


def add_records(members, count, *, year=2025):
    start = datetime.date(year, 1, 1)
    OnlineStudyRecord.objects.bulk_create(
        OnlineStudyRecord(
            member=members[n % len(members)],
            study_date=start + datetime.timedelta(days=n),
            course=f"课程{n}",
            hours=Decimal("1.0"),
            source="a.csv",
        )
        for n in range(count)
    )


def test_records_list_is_scoped_to_the_user(client, secretary, leader, admin_user, people, outsider):
    add_records(people, 3)
    add_records([Member.objects.get(user=outsider)], 2)
    assert online_record_list_for_user(secretary).count() == 3
    client.force_login(secretary)
    response = client.get(reverse("online:record_list"))
    assert response.status_code == 200
    assert {r.member.branch.code for r in response.context["page"]} == {"a"}
    for user in (leader, admin_user):
        client.force_login(user)
        assert client.get(reverse("online:record_list")).context["page"].paginator.count == 5


def test_records_list_filters_by_year(client, leader, people):
    add_records(people, 4, year=2024)
    add_records(people, 2, year=2025)
    client.force_login(leader)
    response = client.get(reverse("online:record_list"), {"year": "2024"})
    assert response.status_code == 200
    assert {r.study_date.year for r in response.context["page"]} == {2024}
    assert response.context["page"].paginator.count == 4
    assert [c[0] for c in response.context["form"].fields["year"].choices] == ["", 2025, 2024]
    assert client.get(reverse("online:record_list"), {"year": "1999"}).context["page"].paginator.count == 6


def test_records_list_is_paginated(client, leader, people):
    add_records(people, 60)
    client.force_login(leader)
    response = client.get(reverse("online:record_list"), {"page": 2})
    assert len(response.context["page"].object_list) == 10


def test_records_list_shows_an_empty_state(client, secretary):
    client.force_login(secretary)
    response = client.get(reverse("online:record_list"))
    assert response.status_code == 200 and "empty-state" in response.content.decode()


@pytest.mark.parametrize("count", [5, 50])
def test_records_list_query_count_is_flat(client, secretary, people, django_assert_num_queries, count):
    add_records(people, count)
    client.force_login(secretary)
    client.get(reverse("home"))  # warm the session
    # Session, user, roles (member, committee posts, leadership group: one
    # query), then years, count and page.
    with django_assert_num_queries(6):
        response = client.get(reverse("online:record_list"))
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == count


def test_check_and_import_query_counts_do_not_grow_with_the_file(branch_a, secretary):
    members = MemberFactory.create_batch(50, branch=branch_a)
    by_phone = [table_row(m, 身份证号="", 手机号=m.phone, 学习日期="2025-03-06") for m in members]
    roles_for(secretary)  # cached on the user for the request, as in a view
    counts = []
    for size in (5, 50):
        rows = [table_row(m) for m in members[:size]] + by_phone[:size]
        with CaptureQueriesContext(connection) as ctx:
            online_hours_import(csv_file(rows), filename=f"{size}.csv", actor=secretary)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
