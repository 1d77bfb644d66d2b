"""Build roster workbooks in memory for the tests."""

import io

from openpyxl import Workbook

from members.services.roster import COLUMNS
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
        "人员类别": "在职",
        "加入党组织日期": "2010-07-01",
        "转为正式党员日期": "2011-07-01",
        "工作岗位": "科员",
        "党内职务": "",
        "党小组": "第一党小组",
        "手机号码": f"139{n:08d}",
        "固定电话": "",
        "党籍状态": "正式党员",
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
