"""Build roster files in memory for the tests: this project's layout and the national system's."""

import io

import xlwt
from openpyxl import Workbook

from members.services.roster import COLUMNS, EXPORT_COLUMNS
from members.tests.factories import make_id_number


def roster_row(n: int, branch_name: str, **overrides) -> dict:
    row = {
        "序号": n,
        "姓名": f"测试{n}号",
        "所在党组织": branch_name,
        "身份证号": make_id_number(5000 + n, gender="male"),
        "性别": "男",
        "民族": "汉族",
        "出生日期": None,
        "学历": "大学本科",
        "人员类别": "正式党员",
        "加入党组织日期": "2010-07-01",
        "转为正式党员日期": "2011-07-01",
        "工作岗位": "科员",
        "党内职务": "",
        "党小组": "第一党小组",
        "手机号码": f"139{n:08d}",
        "固定电话": "",
        "党籍状态": "正常",
    }
    row.update(overrides)
    return row


def roster_file(rows: list[dict], *, columns=COLUMNS) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(columns))
    for row in rows:
        sheet.append([row.get(name) for name in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "roster.xlsx"
    return buffer


# The national Party-member information system's export: its column names
# and order, without 所在党支部 when each sheet names its branch in its title.
NATIONAL = [name for name, _column in EXPORT_COLUMNS]
NATIONAL_NAME = {column: name for name, column in EXPORT_COLUMNS}


def national_values(row: dict, columns) -> list:
    canonical = {name: column for name, column in EXPORT_COLUMNS}
    return [row.get(canonical[name]) for name in columns]


def national_sheet_lines(title: str, rows: list[dict], *, columns=None) -> list[list]:
    """Lines of one sheet: a title line, a date line, a blank line, the header, the rows."""
    columns = columns or [name for name in NATIONAL if name != "所在党支部"]
    lines = [[title], ["统计截止日期：2025年12月31日", None, None, "单位：人"], [], list(columns)]
    return lines + [national_values(row, columns) for row in rows]


def national_xlsx(sheets: dict[str, list[list]]) -> io.BytesIO:
    """An .xlsx with one sheet per entry, its title line merged across the columns as Excel users do."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, lines in sheets.items():
        sheet = workbook.create_sheet(name)
        for line in lines:
            sheet.append(line)
        width = max(len(line) for line in lines)
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "党员花名册.xlsx"
    return buffer


def national_xls(sheets: dict[str, list[list]]) -> io.BytesIO:
    """The same as an old-format .xls (BIFF8), dates stored as Excel dates."""
    import datetime

    workbook = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for name, lines in sheets.items():
        sheet = workbook.add_sheet(name)
        width = max(len(line) for line in lines)
        for r, line in enumerate(lines):
            if r == 0:
                sheet.write_merge(0, 0, 0, width - 1, line[0])
                continue
            for c, value in enumerate(line):
                if value is None:
                    continue
                if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[:4].isdigit():
                    sheet.write(r, c, datetime.date.fromisoformat(value), date_style)
                else:
                    sheet.write(r, c, value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "党员花名册.xls"
    return buffer


def national_csv(lines: list[list], *, encoding: str) -> io.BytesIO:
    """A CSV as Excel saves it: "CSV (逗号分隔)" in GBK, or "CSV UTF-8" with a BOM."""
    text = "\r\n".join(",".join("" if v is None else str(v) for v in line) for line in lines) + "\r\n"
    buffer = io.BytesIO(text.encode(encoding))
    buffer.name = "党员花名册.csv"
    return buffer
