"""The Party-member roster (党员花名册) as a spreadsheet: parse, import and export.

An import is all or nothing: every row of every sheet is validated first, and
the rows are written in one transaction only when the whole file is valid.

Files come as the branches keep them and as the national Party-member
information system exports them: .xlsx, .xls or CSV (UTF-8 or GBK); title
lines above the header row, which is found by its column names; the national
names or common variants of a column (ALIASES); one sheet per branch, which
names its organisation in the 所在党组织 column or in its title. A sheet with
no header row (notes, an empty Sheet2) is skipped and named in the preview.

人员类别 is the member status (正式党员 / 预备党员); 党籍状态 the Party standing
(正常 when empty). Transfer out and death are not read from the sheet: the
transfer and member services record them.
"""

import datetime
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from branches.models import Branch
from core.spreadsheets import new_workbook, read_sheets, workbook_bytes
from members.cells import cell_date, cell_text
from members.identity import MOBILE_PHONE, normalise_id_number, parse_id_number
from members.models import Member
from members.selectors.organisations import OrganisationResolver
from members.sensitive import reveal_many
from members.services.members import member_create, member_data, member_transfer, member_update

# The columns branch secretaries already keep, by the names used in this
# code; the sheet format is fixed, so the headers are data, not interface text.
COLUMNS = (
    "序号",
    "姓名",
    "所在党组织",
    "身份证号",
    "性别",
    "民族",
    "出生日期",
    "学历",
    "人员类别",
    "加入党组织日期",
    "转为正式党员日期",
    "工作岗位",
    "党内职务",
    "党小组",
    "手机号码",
    "固定电话",
    "党籍状态",
)
# Other names of the same columns: the national system's first, then variants.
ALIASES = {
    "公民身份号码": "身份证号",
    "公民身份证号码": "身份证号",
    "身份证号码": "身份证号",
    "身份证": "身份证号",
    "入党日期": "加入党组织日期",
    "入党时间": "加入党组织日期",
    "加入党组织时间": "加入党组织日期",
    "转正日期": "转为正式党员日期",
    "转正时间": "转为正式党员日期",
    "转为正式党员时间": "转为正式党员日期",
    "所在党支部": "所在党组织",
    "所在支部": "所在党组织",
    "所属党组织": "所在党组织",
    "所属党支部": "所在党组织",
    "党组织名称": "所在党组织",
    "党支部": "所在党组织",
    "联系电话": "手机号码",
    "手机号": "手机号码",
    "手机": "手机号码",
    "移动电话": "手机号码",
    "座机": "固定电话",
    "办公电话": "固定电话",
    "出生年月": "出生日期",
    "文化程度": "学历",
    "最高学历": "学历",
    "岗位": "工作岗位",
    "所在党小组": "党小组",
    "编号": "序号",
}
# The national system's export, in its order and with its names: what an
# export here writes, so that it imports there unchanged.
EXPORT_COLUMNS = (
    ("序号", "序号"),
    ("姓名", "姓名"),
    ("性别", "性别"),
    ("公民身份号码", "身份证号"),
    ("民族", "民族"),
    ("出生日期", "出生日期"),
    ("学历", "学历"),
    ("人员类别", "人员类别"),
    ("所在党支部", "所在党组织"),
    ("入党日期", "加入党组织日期"),
    ("转正日期", "转为正式党员日期"),
    ("工作岗位", "工作岗位"),
    ("党内职务", "党内职务"),
    ("党小组", "党小组"),
    ("联系电话", "手机号码"),
    ("固定电话", "固定电话"),
    ("党籍状态", "党籍状态"),
)
REQUIRED = ("姓名", "身份证号", "人员类别", "加入党组织日期")
TEXT_FIELDS = {
    "姓名": "full_name",
    "民族": "ethnicity",
    "学历": "education",
    "工作岗位": "job_post",
    "党内职务": "party_title",
    "党小组": "party_group",
    "固定电话": "landline",
}
GENDERS = {"男": Member.Gender.MALE, "女": Member.Gender.FEMALE}
CATEGORIES = {"正式党员": Member.Status.FULL, "预备党员": Member.Status.PROBATIONARY}
# How an export here writes a member who has left; read back, such a row
# changes nothing, since only the member services record leaving.
LEFT = {"已转出": Member.Status.TRANSFERRED_OUT, "已故": Member.Status.DECEASED}
STANDINGS = {
    "正常": Member.Standing.NORMAL,
    "停止党籍": Member.Standing.SUSPENDED,
    "失联": Member.Standing.LOST_CONTACT,
    "失联党员": Member.Standing.LOST_CONTACT,
    "出国（境）保留党籍": Member.Standing.RETAINED_ABROAD,
    "出国(境)保留党籍": Member.Standing.RETAINED_ABROAD,
    "保留党籍": Member.Standing.RETAINED_ABROAD,
}
MAX_ROWS = 5000
# The header row is looked for among the first lines of a sheet.
HEADER_SEARCH_LINES = 20
_NOTE = re.compile(r"[（(][^）)]*[）)]$")
_SPACE = re.compile(r"[\s\u3000*＊]+")


@dataclass
class RosterError:
    line: int  # row number in the sheet as Excel shows it; 0 for the whole file
    column: str  # the column's name as the file's header has it
    message: str
    sheet: str = ""


@dataclass
class RosterRow:
    line: int
    branch: Branch
    data: dict
    sheet: str = ""
    member: Member | None = None  # the member already known by this ID number
    action: str = "create"  # "create", "update", "transfer" or "unchanged"


@dataclass
class RosterCheck:
    rows: list[RosterRow] = field(default_factory=list)
    errors: list[RosterError] = field(default_factory=list)
    skipped_sheets: list[str] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors and bool(self.rows)

    @property
    def sheet_count(self) -> int:
        return len({row.sheet for row in self.rows})

    def counts(self) -> dict[str, int]:
        result = {"create": 0, "update": 0, "transfer": 0, "unchanged": 0}
        for row in self.rows:
            result[row.action] += 1
        return result


class RosterInvalid(Exception):
    def __init__(self, check: RosterCheck):
        super().__init__(f"{len(check.errors)} problems in the roster")
        self.check = check


# --- reading ---------------------------------------------------------------


def canonical_column(text) -> str | None:
    """Return the column a header cell names ("公民身份号码" → "身份证号"), or None."""
    name = _SPACE.sub("", _NOTE.sub("", cell_text(text)))
    if name in COLUMNS:
        return name
    return ALIASES.get(name)


@dataclass
class _SheetLayout:
    header_line: int
    index: dict[str, int]  # column → position
    names: dict[str, str]  # column → its name in the file
    titles: list[str]


def _layout(rows: list[tuple[int, list]]) -> _SheetLayout | None:
    """Find the header row: the first line naming 姓名 and the ID number, below any title lines."""
    titles = []
    for line, values in rows[:HEADER_SEARCH_LINES]:
        texts = [cell_text(v) for v in values]
        found = [canonical_column(t) for t in texts]
        if "姓名" in found and "身份证号" in found:
            index, names = {}, {}
            # An exact name wins over an alias (a file with both 手机号码 and 联系电话).
            for exact in (True, False):
                for i, (text, column) in enumerate(zip(texts, found, strict=True)):
                    if column and column not in index and (column == _SPACE.sub("", _NOTE.sub("", text))) == exact:
                        index[column], names[column] = i, text
            return _SheetLayout(line, index, names, titles)
        if any(texts):
            titles.append("".join(texts))
    return None


def roster_check(file, *, actor, name: str = "") -> RosterCheck:
    """Validate a roster file (.xlsx, .xls or CSV; every sheet) row by row without writing anything."""
    check = RosterCheck()
    try:
        sheets = read_sheets(file, max_rows=MAX_ROWS, name=name or getattr(file, "name", "") or "")
    except ValidationError as exc:
        check.errors.append(RosterError(0, "", exc.messages[0]))
        return check
    organisations = OrganisationResolver(actor)
    parsed = []  # (sheet name, layout, sheet branch, body)
    for sheet in sheets:
        layout = _layout(sheet.rows)
        if layout is None:
            if any(cell_text(v) for _line, values in sheet.rows for v in values):
                check.skipped_sheets.append(sheet.name)
            continue
        fail = _sheet_errors(check, sheet.name)
        for column in REQUIRED:
            if column not in layout.index:
                fail(layout.header_line, column, _("The column is missing from the header row."))
        branch = organisations.from_title([sheet.name, *layout.titles])
        if "所在党组织" not in layout.index and branch is None:
            fail(
                layout.header_line,
                "所在党组织",
                _("Name the Party organisation in a 所在党组织 column or in the sheet's title."),
            )
        body = [
            (line, values)
            for line, values in sheet.rows
            if line > layout.header_line and any(cell_text(v) for v in values)
        ]
        parsed.append((sheet.name, layout, branch, body))
    if check.errors:
        return check
    total = sum(len(body) for *_rest, body in parsed)
    if not total:
        check.errors.append(RosterError(0, "", _("The file has no member rows under a roster header.")))
        return check
    if total > MAX_ROWS:
        check.errors.append(RosterError(0, "", _("A roster may have at most %(max)d rows.") % {"max": MAX_ROWS}))
        return check

    id_numbers = {
        normalise_id_number(
            cell_text(values[layout.index["身份证号"]] if layout.index["身份证号"] < len(values) else None)
        )
        for _sheet, layout, _branch, body in parsed
        for _line, values in body
    }
    known = {
        m.id_number: m
        for m in Member.objects.select_related("branch").filter(id_number__in=[n for n in id_numbers if n])
    }
    first_seen: dict[str, tuple[str, int]] = {}
    for sheet_name, layout, sheet_branch, body in parsed:
        for line, values in body:
            cells = {column: values[i] if i < len(values) else None for column, i in layout.index.items()}
            row = _check_row(line, cells, layout, sheet_branch, organisations, _sheet_errors(check, sheet_name))
            if row is None:
                continue
            row.sheet = sheet_name
            _match_known(check, row, layout, known, first_seen, organisations)
    return check


def _sheet_errors(check: RosterCheck, sheet: str):
    def fail(line: int, column: str, message: str) -> None:
        check.errors.append(RosterError(line, column, message, sheet))

    return fail


def _match_known(check, row, layout, known, first_seen, organisations) -> None:
    """Compare a valid row with the file's other rows and with the member already known by its ID number."""
    id_column = layout.names["身份证号"]
    fail = _sheet_errors(check, row.sheet)
    id_number = row.data["id_number"]
    if id_number in first_seen:
        sheet, line = first_seen[id_number]
        if sheet == row.sheet:
            message = _("The same ID number is already on row %(line)d.") % {"line": line}
        else:
            message = _("The same ID number is already on sheet “%(sheet)s”, row %(line)d.") % {
                "sheet": sheet,
                "line": line,
            }
        fail(row.line, id_column, message)
        return
    first_seen[id_number] = (row.sheet, row.line)
    row.member = known.get(id_number)
    category_column = layout.names["人员类别"]
    if row.data["status"] in LEFT.values():
        if row.member is None or row.member.status != row.data["status"]:
            fail(
                row.line,
                category_column,
                _("Transfer out and death are recorded on the member's page, not by the roster."),
            )
            return
        row.action = "unchanged"
        check.rows.append(row)
        return
    if row.member is not None:
        if not row.member.is_active_member:
            fail(
                row.line,
                id_column,
                _("This person is recorded as %(status)s; the roster cannot change that.")
                % {"status": row.member.get_status_display()},
            )
            return
        if row.member.branch_id != row.branch.pk:
            if row.member.branch_id not in organisations.scope:
                fail(
                    row.line,
                    id_column,
                    _("This person is a member of %(branch)s; a transfer there must come first.")
                    % {"branch": row.member.branch.name},
                )
                return
            row.action = "transfer"
        elif member_data(row.member) == {**member_data(row.member), **row.data}:
            row.action = "unchanged"
        else:
            row.action = "update"
    check.rows.append(row)


def _check_row(line, cells, layout, sheet_branch, organisations, fail_at) -> RosterRow | None:
    """Return a parsed row, or None after reporting its problems through *fail_at*."""
    problems = []

    def fail(column, message):
        problems.append(column)
        fail_at(line, layout.names.get(column, column), message)

    for column in REQUIRED:
        if not cell_text(cells.get(column)):
            fail(column, _("This value is required."))

    data = {}
    for column, name in TEXT_FIELDS.items():
        if column not in cells:
            continue
        text = cell_text(cells.get(column))
        limit = Member._meta.get_field(name).max_length
        if len(text) > limit:
            fail(column, _("At most %(max)d characters.") % {"max": limit})
        data[name] = text

    branch = sheet_branch
    branch_text = cell_text(cells.get("所在党组织"))
    if branch_text:
        branch, message = organisations.resolve(branch_text)
        if branch is None:
            fail("所在党组织", message)
    elif branch is None:
        fail("所在党组织", _("This value is required."))

    id_birth = id_gender = None
    raw_id = cells.get("身份证号")
    id_number = normalise_id_number(cell_text(raw_id))
    if isinstance(raw_id, int | float):
        # Excel keeps 15 significant digits: a number cell has lost the last ones.
        fail("身份证号", _("Store the ID number as text; as a number Excel rounds it."))
    elif id_number:
        try:
            id_birth, id_gender = parse_id_number(id_number)
        except ValidationError as exc:
            fail("身份证号", exc.messages[0])
    data["id_number"] = id_number

    gender_text = cell_text(cells.get("性别"))
    if gender_text:
        data["gender"] = GENDERS.get(gender_text)
        if data["gender"] is None:
            fail("性别", _("Write 男 or 女."))
        elif id_gender and data["gender"] != id_gender:
            fail("性别", _("The gender does not match the ID number."))
    else:
        data["gender"] = id_gender

    data["birth_date"] = id_birth
    if cell_text(cells.get("出生日期")):
        try:
            data["birth_date"] = cell_date(cells.get("出生日期"))
        except ValidationError as exc:
            fail("出生日期", exc.messages[0])
        else:
            if id_birth and data["birth_date"] != id_birth:
                fail("出生日期", _("The date of birth does not match the ID number."))

    for column, name in (("加入党组织日期", "joined_party_on"), ("转为正式党员日期", "full_member_on")):
        if column not in cells:
            continue
        data[name] = None
        if cell_text(cells.get(column)):
            try:
                data[name] = cell_date(cells.get(column))
            except ValidationError as exc:
                fail(column, exc.messages[0])
    joined, full = data.get("joined_party_on"), data.get("full_member_on")
    if joined and full and full < joined:
        fail("转为正式党员日期", _("The full-membership date is before the date of joining the Party."))
    if joined and joined > timezone.localdate():
        fail("加入党组织日期", _("The date is in the future."))

    category_text = cell_text(cells.get("人员类别"))
    data["status"] = CATEGORIES.get(category_text) or LEFT.get(category_text)
    if category_text and data["status"] is None:
        fail("人员类别", _("Write one of: %(choices)s.") % {"choices": "、".join(CATEGORIES)})

    if "党籍状态" in cells:
        standing_text = cell_text(cells.get("党籍状态"))
        data["standing"] = STANDINGS.get(standing_text) if standing_text else Member.Standing.NORMAL
        if data["standing"] is None:
            choices = [text for text in STANDINGS if "(" not in text]
            fail("党籍状态", _("Write one of: %(choices)s.") % {"choices": "、".join(choices)})

    if "手机号码" in cells:
        phone = cell_text(cells.get("手机号码"))
        if phone and not MOBILE_PHONE.match(phone):
            fail("手机号码", _("A mobile phone number has 11 digits and starts with 1."))
        data["phone"] = phone

    if problems or branch is None:
        return None
    return RosterRow(line=line, branch=branch, data=data)


# --- writing ---------------------------------------------------------------


def roster_import(file, *, actor, name: str = "") -> dict[str, int]:
    """Import a roster file: all rows of all sheets in one transaction, or nothing.

    A member already known by ID number is updated (and transferred when the
    branch differs), never duplicated; unchanged rows write nothing.
    """
    with transaction.atomic():
        check = roster_check(file, actor=actor, name=name)
        if not check.is_valid:
            raise RosterInvalid(check)
        today = timezone.localdate()
        for row in check.rows:
            if row.member is None:
                member_create(branch=row.branch, data=row.data, actor=actor)
                continue
            if row.action == "transfer":
                member_transfer(
                    member=row.member,
                    to_branch=row.branch,
                    on=today,
                    actor=actor,
                    note=_("roster import"),
                )
            if row.action != "unchanged":
                member_update(member=row.member, data=row.data, actor=actor)
        return check.counts()


def _sheet_with_header(title: str):
    workbook = new_workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append([name for name, _column in EXPORT_COLUMNS])
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="FDE9D9")
    for cell in sheet[1]:
        cell.font = bold
        cell.fill = fill
    sheet.freeze_panes = "A2"
    for i, (name, _column) in enumerate(EXPORT_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = 20 if "身份" in name else max(8, len(name) * 2 + 2)
    return workbook, sheet


def roster_template() -> bytes:
    """Return an empty roster workbook with the header row and the allowed values."""
    workbook, _sheet = _sheet_with_header("党员花名册")
    notes = workbook.create_sheet("填写说明")
    for line in (
        ("必填列", "姓名、公民身份号码、人员类别、入党日期，以及所在党支部（或在表头上方的标题中写明党组织）"),
        ("性别", "男、女"),
        ("人员类别", "、".join(CATEGORIES)),
        ("党籍状态", "正常、停止党籍、失联、出国（境）保留党籍；空白即正常"),
        ("日期", "2021-07-01、2021/7/1、2021.7.1 或 2021年7月1日"),
        ("公民身份号码", "18 位，请设为文本格式，校验码须正确"),
        ("所在党支部", "党组织名称，重名时写完整路径，如 机关党委 › 第一党支部"),
        ("其他列名", "也可用 身份证号、加入党组织日期、转为正式党员日期、所在党组织、手机号码 等"),
    ):
        notes.append(line)
    return workbook_bytes(workbook)


def roster_export(members, *, viewer, where: str = "roster export") -> bytes:
    """Return *members* as a roster workbook in the national layout; ID and phone masked unless *viewer* may see them.

    The organisation is written by name, or by its path where two
    organisations share the name, so that the file imports here unchanged.
    """
    workbook, sheet = _sheet_with_header("党员花名册")
    gender_label = {v: k for k, v in GENDERS.items()}
    category_label = {v: k for k, v in (CATEGORIES | LEFT).items()}
    standing_label = {Member.Standing.RETAINED_ABROAD: "出国（境）保留党籍"}
    standing_label |= {v: k for k, v in STANDINGS.items() if v not in standing_label and "失联党员" != k}
    organisations = OrganisationResolver(None)
    members = list(members)
    shown = reveal_many(viewer, members, ["id_number", "phone"], where=where)
    for number, (member, numbers) in enumerate(zip(members, shown, strict=True), start=1):
        branch_id = member.branch_id
        values = {
            "序号": number,
            "姓名": member.full_name,
            "性别": gender_label.get(member.gender, ""),
            "身份证号": numbers["id_number"],
            "民族": member.ethnicity,
            "出生日期": member.birth_date,
            "学历": member.education,
            "人员类别": category_label.get(member.status, ""),
            "所在党组织": member.branch.name
            if organisations.is_unique_name(branch_id)
            else organisations.path(branch_id),
            "加入党组织日期": member.joined_party_on,
            "转为正式党员日期": member.full_member_on,
            "工作岗位": member.job_post,
            "党内职务": member.party_title,
            "党小组": member.party_group,
            "手机号码": numbers["phone"],
            "固定电话": member.landline,
            "党籍状态": standing_label.get(member.standing, ""),
        }
        sheet.append([values[column] for _name, column in EXPORT_COLUMNS])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, datetime.date):
                cell.number_format = "yyyy-mm-dd"
    return workbook_bytes(workbook)
