"""Study hours from an outside learning platform (网络学习): read its export, check it, import it.

The platform exports one row per member, date and course as .csv or .xlsx.
An import is all or nothing: every row is checked first, and the new rows are
written in one transaction only when the whole file is valid. A row whose
member, date and course are already recorded is skipped, so importing the
same file again adds nothing.
"""

import datetime
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import PurePath

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.spreadsheets import decode_text, read_csv_rows, read_xlsx_rows
from members.cells import cell_date, cell_text
from members.identity import MOBILE_PHONE, normalise_id_number, parse_id_number
from members.models import Member
from members.permissions import roles_for
from members.services.figures import mark_figures_stale
from training.models import OnlineStudyRecord

# Platforms name their columns differently; the first name found wins. The
# headers are data from the platform, not interface text.
ID_COLUMNS = ("身份证号", "证件号码")
PHONE_COLUMNS = ("手机号", "手机号码")
NAME_COLUMNS = ("姓名",)
DATE_COLUMNS = ("学习日期", "日期")
COURSE_COLUMNS = ("课程名称", "课程")
HOURS_COLUMNS = ("学时",)
KNOWN_COLUMNS = ID_COLUMNS + PHONE_COLUMNS + NAME_COLUMNS + DATE_COLUMNS + COURSE_COLUMNS + HOURS_COLUMNS

# Nobody studies more than a day's worth of hours on one course in one day.
MAX_HOURS_PER_ROW = Decimal("24")
MAX_ROWS = 10000
# Some exports put a title line above the header row.
HEADER_SEARCH_ROWS = 10
EXTENSIONS = (".csv", ".xlsx")

# What Excel writes into a CSV for an ID number stored as a number: 5.10104E+17
_SCIENTIFIC = re.compile(r"^\d(?:\.\d+)?E\+\d+$", re.IGNORECASE)
_HOURS_UNIT = re.compile(r"\s*(学时|小时)$")
_SPACES = re.compile(r"\s+")


@dataclass
class OnlineImportError:
    line: int  # row number as Excel shows it; 0 for the whole file
    column: str
    message: str


@dataclass
class OnlineRow:
    line: int
    member: Member
    study_date: datetime.date
    course: str
    hours: Decimal
    action: str = "new"  # "new" or "existing" (already imported)
    recorded_hours: Decimal | None = None  # the hours already on record for an existing row

    @property
    def hours_differ(self) -> bool:
        return self.recorded_hours is not None and self.recorded_hours != self.hours


@dataclass
class OnlineImportCheck:
    rows: list[OnlineRow] = field(default_factory=list)
    errors: list[OnlineImportError] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors and bool(self.rows)

    def counts(self) -> dict[str, int]:
        result = {"new": 0, "existing": 0}
        for row in self.rows:
            result[row.action] += 1
        return result


class OnlineImportInvalid(Exception):
    def __init__(self, check: OnlineImportCheck):
        super().__init__(f"{len(check.errors)} problems in the online study file")
        self.check = check


# --- reading ---------------------------------------------------------------


def _squash(text: str) -> str:
    return _SPACES.sub("", text)


def _read_table(file, filename: str) -> tuple[int, list[str], list[tuple[int, list]]]:
    """Return (header line, header, [(line, values)]) with empty rows left out."""
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".csv":
        rows = [values for _line, values in read_csv_rows(decode_text(file.read()), max_rows=MAX_ROWS)]
    elif suffix == ".xlsx":
        rows = [values for _line, values in read_xlsx_rows(file, max_rows=MAX_ROWS)]
    else:
        raise ValidationError(_("Upload a .csv or .xlsx file."))
    header_index = 0
    for index, values in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if any(cell_text(v) in KNOWN_COLUMNS for v in values):
            header_index = index
            break
    header = [cell_text(v) for v in rows[header_index]] if rows else []
    body = []
    for index in range(header_index + 1, len(rows)):
        values = list(rows[index])
        if any(cell_text(v) for v in values):
            body.append((index + 1, values))
    return header_index + 1, header, body


def _hours(value) -> Decimal:
    """Read an hours cell, rounded to the tenth of an hour the record keeps."""
    text = _HOURS_UNIT.sub("", cell_text(value))
    try:
        hours = Decimal(text)
    except InvalidOperation:
        raise ValidationError(_("“%(value)s” is not a number of hours.") % {"value": cell_text(value)}) from None
    if not hours.is_finite():
        raise ValidationError(_("“%(value)s” is not a number of hours.") % {"value": cell_text(value)})
    hours = hours.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if hours <= 0:
        raise ValidationError(_("The hours must be more than 0."))
    if hours > MAX_HOURS_PER_ROW:
        raise ValidationError(_("At most %(max)s hours for one course in one day.") % {"max": MAX_HOURS_PER_ROW})
    return hours


def _phone(value) -> str:
    text = re.sub(r"[\s-]", "", cell_text(value))
    if text.startswith("+86"):
        text = text[3:]
    return text


def _id_number(value) -> str:
    return normalise_id_number(cell_text(value).lstrip("'"))


def _first_present(header: list[str], names: tuple[str, ...]) -> str | None:
    return next((name for name in names if name in header), None)


# --- checking --------------------------------------------------------------


@dataclass
class _Columns:
    id: str | None
    phone: str | None
    name: str | None
    date: str
    course: str
    hours: str


def online_hours_check(file, *, filename: str, actor) -> OnlineImportCheck:
    """Validate a platform export row by row without writing anything."""
    check = OnlineImportCheck()
    try:
        header_line, header, body = _read_table(file, filename)
    except ValidationError as exc:
        check.errors.append(OnlineImportError(0, "", exc.messages[0]))
        return check

    found = {names: _first_present(header, names) for names in (DATE_COLUMNS, COURSE_COLUMNS, HOURS_COLUMNS)}
    for names, name in found.items():
        if name is None:
            check.errors.append(
                OnlineImportError(header_line, names[0], _("The column is missing from the header row."))
            )
    columns = _Columns(
        id=_first_present(header, ID_COLUMNS),
        phone=_first_present(header, PHONE_COLUMNS),
        name=_first_present(header, NAME_COLUMNS),
        date=found[DATE_COLUMNS],
        course=found[COURSE_COLUMNS],
        hours=found[HOURS_COLUMNS],
    )
    if columns.id is None and columns.phone is None:
        check.errors.append(
            OnlineImportError(
                header_line,
                f"{ID_COLUMNS[0]}／{PHONE_COLUMNS[0]}",
                _("The file needs a column of ID numbers or a column of phone numbers."),
            )
        )
    if check.errors:
        return check
    if not body:
        check.errors.append(OnlineImportError(0, "", _("The file has no study rows.")))
        return check
    if len(body) > MAX_ROWS:
        check.errors.append(OnlineImportError(0, "", _("A file may have at most %(max)d rows.") % {"max": MAX_ROWS}))
        return check

    index = {name: header.index(name) for name in header if name in KNOWN_COLUMNS}
    cells_of = [
        (line, {name: values[i] if i < len(values) else None for name, i in index.items()}) for line, values in body
    ]
    by_id, by_phone = _member_lookups(cells_of, columns)
    roles = roles_for(actor) if actor is not None else None
    writable = None if roles is None else roles.scope_ids

    first_line_of: dict[tuple, int] = {}
    for line, cells in cells_of:
        row = _check_row(line, cells, columns, by_id, by_phone, writable, check.errors)
        if row is None:
            continue
        key = (row.member.pk, row.study_date, row.course)
        if key in first_line_of:
            check.errors.append(
                OnlineImportError(
                    line,
                    columns.course,
                    _("The same member, date and course are already on row %(line)d.") % {"line": first_line_of[key]},
                )
            )
            continue
        first_line_of[key] = line
        check.rows.append(row)
    _mark_existing(check.rows)
    return check


def _member_lookups(cells_of, columns) -> tuple[dict[str, Member], dict[str, list[Member]]]:
    """Load every member the file names in two queries: by ID number and by phone."""
    id_numbers = {_id_number(cells.get(columns.id)) for _line, cells in cells_of} - {""} if columns.id else set()
    phones = {_phone(cells.get(columns.phone)) for _line, cells in cells_of} - {""} if columns.phone else set()
    members = Member.objects.select_related("branch")
    by_id = {m.id_number: m for m in members.filter(id_number__in=id_numbers)} if id_numbers else {}
    by_phone: dict[str, list[Member]] = {}
    if phones:
        for m in members.filter(phone__in=phones).order_by("pk"):
            by_phone.setdefault(m.phone, []).append(m)
    return by_id, by_phone


def _check_row(line, cells, columns, by_id, by_phone, writable, errors) -> OnlineRow | None:
    """Return a parsed row, or None after adding its problems to *errors*."""
    problems_before = len(errors)

    def fail(column, message):
        errors.append(OnlineImportError(line, column, message))

    member = _identify(cells, columns, by_id, by_phone, fail)
    if member is not None:
        if writable is not None and member.branch_id not in writable:
            fail(
                columns.id if columns.id and cell_text(cells.get(columns.id)) else columns.phone,
                _("You may not import hours for members of %(branch)s.") % {"branch": member.branch.name},
            )
        elif columns.name and cell_text(cells.get(columns.name)):
            if _squash(cell_text(cells.get(columns.name))) != _squash(member.full_name):
                fail(
                    columns.name,
                    _("The name does not match the member's record (%(name)s).") % {"name": member.full_name},
                )

    study_date = None
    if not cell_text(cells.get(columns.date)):
        fail(columns.date, _("This value is required."))
    else:
        try:
            study_date = cell_date(cells.get(columns.date))
        except ValidationError as exc:
            fail(columns.date, exc.messages[0])
        else:
            if study_date > timezone.localdate():
                fail(columns.date, _("The date is in the future."))

    course = " ".join(cell_text(cells.get(columns.course)).split())
    limit = OnlineStudyRecord._meta.get_field("course").max_length
    if not course:
        fail(columns.course, _("This value is required."))
    elif len(course) > limit:
        fail(columns.course, _("At most %(max)d characters.") % {"max": limit})

    hours = None
    if not cell_text(cells.get(columns.hours)):
        fail(columns.hours, _("This value is required."))
    else:
        try:
            hours = _hours(cells.get(columns.hours))
        except ValidationError as exc:
            fail(columns.hours, exc.messages[0])

    if len(errors) > problems_before:
        return None
    return OnlineRow(line=line, member=member, study_date=study_date, course=course, hours=hours)


def _identify(cells, columns, by_id, by_phone, fail) -> Member | None:
    """Find the row's member by ID number, else by phone; report why not on failure.

    The ID number wins when both are given: a phone number can change hands.
    """
    raw_id = cells.get(columns.id) if columns.id else None
    id_number = _id_number(raw_id)
    phone = _phone(cells.get(columns.phone)) if columns.phone else ""
    if id_number:
        if isinstance(raw_id, int | float) or _SCIENTIFIC.match(id_number):
            # Excel keeps 15 significant digits: a number cell has lost the last ones.
            fail(columns.id, _("Store the ID number as text; as a number Excel rounds it."))
            return None
        member = by_id.get(id_number)
        if member is None:
            try:
                parse_id_number(id_number)
            except ValidationError as exc:
                fail(columns.id, exc.messages[0])
            else:
                fail(columns.id, _("No member has this ID number."))
        return member
    if phone:
        matches = by_phone.get(phone, [])
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            fail(columns.phone, _("Several members have this phone number; identify the person by ID number."))
        elif not MOBILE_PHONE.match(phone):
            fail(columns.phone, _("A mobile phone number has 11 digits and starts with 1."))
        else:
            fail(columns.phone, _("No member has this phone number."))
        return None
    fail(columns.id or columns.phone, _("Give an ID number or a phone number."))
    return None


def _mark_existing(rows: list[OnlineRow]) -> None:
    """Mark the rows already on record, in one query."""
    if not rows:
        return
    recorded = {
        (member_id, study_date, course): hours
        for member_id, study_date, course, hours in OnlineStudyRecord.objects.filter(
            member_id__in={row.member.pk for row in rows},
            study_date__gte=min(row.study_date for row in rows),
            study_date__lte=max(row.study_date for row in rows),
        ).values_list("member_id", "study_date", "course", "hours")
    }
    for row in rows:
        key = (row.member.pk, row.study_date, row.course)
        if key in recorded:
            row.action = "existing"
            row.recorded_hours = recorded[key]


# --- writing ---------------------------------------------------------------


def online_hours_import(file, *, filename: str, actor) -> dict[str, int]:
    """Import a platform export: every new row in one transaction, or nothing.

    Rows already on record are skipped, not updated. Two imports of the same
    file at once cannot duplicate a row: the unique constraint decides, and
    the loser's conflicting rows are ignored.
    """
    source = PurePath(filename).name[: OnlineStudyRecord._meta.get_field("source").max_length]
    with transaction.atomic():
        check = online_hours_check(file, filename=filename, actor=actor)
        if not check.is_valid:
            raise OnlineImportInvalid(check)
        imported_by = actor if getattr(actor, "is_authenticated", False) else None
        records = [
            OnlineStudyRecord(
                member=row.member,
                study_date=row.study_date,
                course=row.course,
                hours=row.hours,
                source=source,
                imported_by=imported_by,
            )
            for row in check.rows
            if row.action == "new"
        ]
        for record in records:
            # The members were just loaded and uniqueness is the constraint's
            # job: skip the per-row queries those checks would run.
            record.full_clean(exclude=["member", "imported_by"], validate_unique=False, validate_constraints=False)
        counts = check.counts()
        if not records:
            return counts
        OnlineStudyRecord.objects.bulk_create(records, batch_size=500, ignore_conflicts=True)
        mark_figures_stale(years={r.study_date.year for r in records}, members={r.member_id for r in records})
        first = records[0]
        target = OnlineStudyRecord.objects.get(member=first.member, study_date=first.study_date, course=first.course)
        audit_record(
            actor=actor,
            action="online_hours.imported",
            target=target,
            payload={
                "source": source,
                **counts,
                "members": len({record.member_id for record in records}),
                "from": min(record.study_date for record in records).isoformat(),
                "to": max(record.study_date for record in records).isoformat(),
            },
        )
        return counts


# --- reading the records ---------------------------------------------------


def online_record_list_for_user(user, *, year: int | None = None) -> QuerySet[OnlineStudyRecord]:
    """Return the imported records the user manages, newest first; 403 for plain members."""
    roles = roles_for(user)
    records = OnlineStudyRecord.objects.select_related("member", "member__branch", "imported_by")
    if not roles.manages_members:
        raise PermissionDenied
    records = roles.scoped(records, "member__branch_id")
    if year is not None:
        records = records.filter(study_date__year=year)
    return records.order_by("-study_date", "member__name_pinyin", "course", "pk")


def online_record_years_for_user(user) -> list[int]:
    """Return the years that have records the user manages, newest first."""
    records = online_record_list_for_user(user)
    return [d.year for d in records.order_by().dates("study_date", "year", order="DESC")]
