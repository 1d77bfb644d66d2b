"""The Party-member roster (党员花名册) as an Excel sheet: parse, import and export.

An import is all or nothing: every row is validated first, and the rows are
written in one transaction only when the whole file is valid.
"""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from branches.models import Branch
from core.spreadsheets import new_workbook, read_xlsx_rows, workbook_bytes
from members.cells import cell_date, cell_text
from members.identity import MOBILE_PHONE, normalise_id_number, parse_id_number
from members.models import Member
from members.permissions import roles_for
from members.sensitive import reveal_many
from members.services.members import member_create, member_data, member_transfer, member_update

# The columns branch secretaries already keep; the sheet format is fixed, so
# the headers are data, not interface text.
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
REQUIRED = ("姓名", "所在党组织", "身份证号", "加入党组织日期", "党籍状态")
TEXT_FIELDS = {
    "姓名": "full_name",
    "民族": "ethnicity",
    "学历": "education",
    "人员类别": "category",
    "工作岗位": "job_post",
    "党内职务": "party_title",
    "党小组": "party_group",
    "固定电话": "landline",
}
GENDERS = {"男": Member.Gender.MALE, "女": Member.Gender.FEMALE}
STATUSES = {
    "正式党员": Member.Status.FULL,
    "预备党员": Member.Status.PROBATIONARY,
    "已转出": Member.Status.TRANSFERRED_OUT,
    "已故": Member.Status.DECEASED,
}
MAX_ROWS = 5000


@dataclass
class RosterError:
    line: int  # row number in the sheet as Excel shows it; 0 for the whole file
    column: str
    message: str


@dataclass
class RosterRow:
    line: int
    branch: Branch
    data: dict
    member: Member | None = None  # the member already known by this ID number
    action: str = "create"  # "create", "update", "transfer" or "unchanged"


@dataclass
class RosterCheck:
    rows: list[RosterRow] = field(default_factory=list)
    errors: list[RosterError] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors and bool(self.rows)

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


def _read_sheet(file) -> tuple[list[str], list[tuple[int, list]]]:
    rows = read_xlsx_rows(file, max_rows=MAX_ROWS)
    header = rows[0][1] if rows else []
    body = [(line, values) for line, values in rows[1:] if any(cell_text(v) for v in values)]
    return [cell_text(h) for h in header], body


def roster_check(file, *, actor) -> RosterCheck:
    """Validate a roster workbook row by row without writing anything."""
    check = RosterCheck()
    try:
        header, body = _read_sheet(file)
    except ValidationError as exc:
        check.errors.append(RosterError(0, "", exc.messages[0]))
        return check
    missing = [name for name in COLUMNS if name != "序号" and name not in header]
    for name in missing:
        check.errors.append(RosterError(1, name, _("The column is missing from the header row.")))
    if missing:
        return check
    if not body:
        check.errors.append(RosterError(0, "", _("The sheet has no member rows.")))
        return check
    if len(body) > MAX_ROWS:
        check.errors.append(RosterError(0, "", _("A roster may have at most %(max)d rows.") % {"max": MAX_ROWS}))
        return check

    index = {name: header.index(name) for name in COLUMNS if name in header}
    branches = _branch_lookup()
    roles = roles_for(actor) if actor is not None else None
    writable = None if roles is None else roles.scope_ids
    id_column = index["身份证号"]
    id_numbers = [
        normalise_id_number(cell_text(values[id_column] if id_column < len(values) else None)) for _line, values in body
    ]
    known = {
        m.id_number: m
        for m in Member.objects.select_related("branch").filter(id_number__in=[n for n in id_numbers if n])
    }
    first_line_of: dict[str, int] = {}
    for line, values in body:
        cells = {name: values[i] if i < len(values) else None for name, i in index.items()}
        row = _check_row(line, cells, branches, check.errors)
        if row is None:
            continue
        id_number = row.data["id_number"]
        if id_number in first_line_of:
            check.errors.append(
                RosterError(
                    line,
                    "身份证号",
                    _("The same ID number is already on row %(line)d.") % {"line": first_line_of[id_number]},
                )
            )
            continue
        first_line_of[id_number] = line
        if writable is not None and row.branch.pk not in writable:
            check.errors.append(
                RosterError(
                    line, "所在党组织", _("You may not manage members of %(branch)s.") % {"branch": row.branch.name}
                )
            )
            continue
        row.member = known.get(id_number)
        if row.member is not None:
            if row.member.branch_id != row.branch.pk:
                if writable is not None and row.member.branch_id not in writable:
                    check.errors.append(
                        RosterError(
                            line,
                            "身份证号",
                            _("This person is a member of %(branch)s; a transfer there must come first.")
                            % {"branch": row.member.branch.name},
                        )
                    )
                    continue
                row.action = "transfer"
            elif member_data(row.member) == {**member_data(row.member), **row.data}:
                row.action = "unchanged"
            else:
                row.action = "update"
        check.rows.append(row)
    return check


def _branch_lookup() -> dict[str, Branch]:
    lookup = {}
    for branch in Branch.objects.all():
        lookup[branch.code.lower()] = branch
        lookup[branch.name] = branch
    return lookup


def _check_row(line, cells, branches, errors) -> RosterRow | None:
    """Return a parsed row, or None after adding its problems to *errors*."""
    problems_before = len(errors)

    def fail(column, message):
        errors.append(RosterError(line, column, message))

    for column in REQUIRED:
        if not cell_text(cells.get(column)):
            fail(column, _("This value is required."))

    data = {}
    for column, name in TEXT_FIELDS.items():
        text = cell_text(cells.get(column))
        limit = Member._meta.get_field(name).max_length
        if len(text) > limit:
            fail(column, _("At most %(max)d characters.") % {"max": limit})
        data[name] = text

    branch_name = cell_text(cells.get("所在党组织"))
    branch = branches.get(branch_name) or branches.get(branch_name.lower())
    if branch_name and branch is None:
        fail("所在党组织", _("There is no Party organisation named “%(name)s”.") % {"name": branch_name})

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

    data["joined_party_on"] = data["full_member_on"] = None
    for column, name in (("加入党组织日期", "joined_party_on"), ("转为正式党员日期", "full_member_on")):
        if cell_text(cells.get(column)):
            try:
                data[name] = cell_date(cells.get(column))
            except ValidationError as exc:
                fail(column, exc.messages[0])
    if data["joined_party_on"] and data["full_member_on"] and data["full_member_on"] < data["joined_party_on"]:
        fail("转为正式党员日期", _("The full-membership date is before the date of joining the Party."))
    if data["joined_party_on"] and data["joined_party_on"] > timezone.localdate():
        fail("加入党组织日期", _("The date is in the future."))

    status_text = cell_text(cells.get("党籍状态"))
    data["status"] = STATUSES.get(status_text)
    if status_text and data["status"] is None:
        fail("党籍状态", _("Write one of: %(choices)s.") % {"choices": "、".join(STATUSES)})

    phone = cell_text(cells.get("手机号码"))
    if phone and not MOBILE_PHONE.match(phone):
        fail("手机号码", _("A mobile phone number has 11 digits and starts with 1."))
    data["phone"] = phone

    if len(errors) > problems_before:
        return None
    return RosterRow(line=line, branch=branch, data=data)


# --- writing ---------------------------------------------------------------


def roster_import(file, *, actor) -> dict[str, int]:
    """Import a roster workbook: all rows in one transaction, or nothing.

    A member already known by ID number is updated (and transferred when the
    branch differs), never duplicated; unchanged rows write nothing.
    """
    with transaction.atomic():
        check = roster_check(file, actor=actor)
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
    sheet.append(COLUMNS)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="FDE9D9")
    for cell in sheet[1]:
        cell.font = bold
        cell.fill = fill
    sheet.freeze_panes = "A2"
    for i, name in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = 20 if "身份证" in name else max(8, len(name) * 2 + 2)
    return workbook, sheet


def _to_bytes(workbook) -> bytes:
    return workbook_bytes(workbook)


def roster_template() -> bytes:
    """Return an empty roster workbook with the header row and the allowed values."""
    workbook, _sheet = _sheet_with_header("党员花名册")
    notes = workbook.create_sheet("填写说明")
    for line in (
        ("必填列", "、".join(REQUIRED)),
        ("性别", "男、女"),
        ("党籍状态", "、".join(STATUSES)),
        ("日期", "2021-07-01 或 2021/7/1"),
        ("身份证号", "18 位，请设为文本格式，校验码须正确"),
        ("所在党组织", "须为系统中已有党组织的名称"),
    ):
        notes.append(line)
    return _to_bytes(workbook)


def roster_export(members, *, viewer, where: str = "roster export") -> bytes:
    """Return *members* as a roster workbook; ID and phone masked unless *viewer* may see them."""
    workbook, sheet = _sheet_with_header("党员花名册")
    gender_label = {v: k for k, v in GENDERS.items()}
    status_label = {v: k for k, v in STATUSES.items()}
    members = list(members)
    shown = reveal_many(viewer, members, ["id_number", "phone"], where=where)
    for number, (member, numbers) in enumerate(zip(members, shown, strict=True), start=1):
        sheet.append(
            (
                number,
                member.full_name,
                member.branch.name,
                numbers["id_number"],
                gender_label.get(member.gender, ""),
                member.ethnicity,
                member.birth_date,
                member.education,
                member.category,
                member.joined_party_on,
                member.full_member_on,
                member.job_post,
                member.party_title,
                member.party_group,
                numbers["phone"],
                member.landline,
                status_label.get(member.status, ""),
            )
        )
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, datetime.date):
                cell.number_format = "yyyy-mm-dd"
    return _to_bytes(workbook)
