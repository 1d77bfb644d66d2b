"""Every spreadsheet the project writes or reads passes here.

Writing: ``new_workbook()`` and ``workbook_bytes()`` (and ``csv_bytes()``;
``streamed_sheet()`` for the rows of a write-only workbook) neutralise every
text cell that a spreadsheet program would run as a formula: a cell
beginning with = + - @ tab or carriage return gets a leading apostrophe
(OWASP, "CSV injection"), and no cell is ever written as a formula.

Reading: ``read_xlsx_rows()`` checks the archive before anything is parsed
(number of parts, declared unpacked size of each part and of all of them, the
sheet's declared dimension), then streams the first sheet with a hard row
limit and refuses a cell that holds a real formula, naming its row and
column. ``read_csv_rows()`` applies the same row limit to CSV. The first limit
crossed stops the reading with a clear message; nothing is read whole first.

``read_sheets()`` reads every sheet of an upload whatever its format, told by
its first bytes rather than its name: .xlsx (as above), the old .xls (xlrd,
one sheet at a time, the sheet count checked first and each sheet's row
count before its cells are converted; the upload's size bounds the parsing;
an .xls keeps only a formula's last value, read as a plain value), or CSV in UTF-8
(with or without BOM) or GBK, as Excel saves it on Chinese Windows.
"""

import csv
import datetime
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

import xlrd
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.utils import get_column_letter

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# What an honest upload needs, with room to spare: a 5,000-row roster of 17
# columns unpacks to about 4 MB of sheet XML.
MAX_PARTS = 200
MAX_PART_BYTES = 12 * 2**20
MAX_SHARED_STRINGS_BYTES = 8 * 2**20
MAX_UNPACKED_BYTES = 32 * 2**20
MAX_COLUMNS = 64
# One sheet per branch: a county bureau has some dozens of branches.
MAX_SHEETS = 100
# Title lines above the header row, and blank rows, on top of the data rows.
SPARE_ROWS = 50

_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_ROW = re.compile(rb"<(?:\w+:)?row[\s>/]")
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?"')


def neutralise(value):
    """Return *value* safe for a spreadsheet cell: text that would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


# --- writing ---------------------------------------------------------------


def new_workbook(*, write_only: bool = False) -> Workbook:
    """A workbook to fill; hand it to workbook_bytes() to get the file.

    ``write_only=True`` gives a streaming workbook for large exports: rows go
    straight to the file and cannot be read back, so its sheets must come from
    streamed_sheet(), which neutralises each row as it is appended.
    """
    return Workbook(write_only=write_only)


class StreamedSheet:
    """A sheet of a write-only workbook; ``append()`` neutralises every value (or WriteOnlyCell) on the way in.

    Set ``sheet.freeze_panes`` and ``sheet.column_dimensions`` before the first
    append: a streamed sheet writes its header parts with its first row.
    """

    def __init__(self, workbook: Workbook, title: str):
        self.sheet = workbook.create_sheet(title)
        self.sheet._neutralised_on_append = True

    def cell(self, value, **style) -> Cell:
        """A styled cell for append(), e.g. ``cell(0.5, number_format="0.0%")``."""
        cell = WriteOnlyCell(self.sheet, value)
        for name, style_value in style.items():
            setattr(cell, name, style_value)
        return cell

    def append(self, values: Iterable) -> None:
        self.sheet.append([_neutral_cell(value) for value in values])


def streamed_sheet(workbook: Workbook, title: str) -> StreamedSheet:
    """Add a sheet to a ``new_workbook(write_only=True)`` workbook."""
    return StreamedSheet(workbook, title)


def _neutral_cell(value):
    if isinstance(value, Cell):
        text = value.value
        if isinstance(text, str) and (value.data_type == "f" or text.startswith(FORMULA_TRIGGERS)):
            value.value = neutralise(text)
            value.data_type = "s"
        return value
    return neutralise(value)


def workbook_bytes(workbook: Workbook) -> bytes:
    """Return the .xlsx file of *workbook*, every formula-like cell neutralised first."""
    if workbook.write_only:
        # Its rows are already written and cannot be read back: only sheets that
        # neutralised them on the way in may leave.
        for sheet in workbook.worksheets:
            if not getattr(sheet, "_neutralised_on_append", False):
                for other in workbook.worksheets:
                    other.close()  # ends their temporary files
                raise ValueError(f"Sheet {sheet.title!r} was not made by streamed_sheet(); it may hold formulas.")
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, str) and (cell.data_type == "f" or value.startswith(FORMULA_TRIGGERS)):
                    cell.value = neutralise(value)
                    cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: Iterable[Iterable], *, encoding: str = "utf-8-sig") -> bytes:
    """Return *rows* as CSV text (with a BOM, so Excel reads UTF-8), every cell neutralised."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([neutralise(value) for value in row])
    return buffer.getvalue().encode(encoding)


# --- reading ---------------------------------------------------------------


def _refuse(message: str):
    raise ValidationError(message, code="spreadsheet_refused")


def _mb(size: int) -> int:
    return max(1, size // 2**20)


def check_xlsx_archive(file, *, max_rows: int) -> None:
    """Refuse an .xlsx whose parts would unpack too big or whose sheet declares too many rows; read nothing else."""
    file.seek(0)
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError, ValueError):
        _refuse(_("The file is not an Excel workbook (.xlsx)."))
    with archive:
        parts = archive.infolist()
        if len(parts) > MAX_PARTS:
            _refuse(
                _("The workbook has too many parts (more than %(max)d); it is not a plain table.") % {"max": MAX_PARTS}
            )
        total = 0
        for part in parts:
            limit = MAX_SHARED_STRINGS_BYTES if part.filename.endswith("sharedStrings.xml") else MAX_PART_BYTES
            if part.file_size > limit:
                _refuse(
                    _("The workbook unpacks to more than %(mb)d MB in one part; it cannot be read.")
                    % {"mb": _mb(limit)}
                )
            total += part.file_size
        if total > MAX_UNPACKED_BYTES:
            _refuse(
                _("The workbook unpacks to more than %(mb)d MB; it cannot be read.") % {"mb": _mb(MAX_UNPACKED_BYTES)}
            )
        for part in parts:
            if part.filename.endswith((".xml", ".rels")):
                is_sheet = part.filename.startswith("xl/worksheets/")
                _scan_part(archive, part, max_rows if is_sheet else None)
    file.seek(0)


def _scan_part(archive, part, max_rows: int | None) -> None:
    """Read one XML part as bytes, never parsed: refuse a DTD (entity bombs; OOXML has none) and, for a
    sheet, a declared dimension or a number of row tags over the limit.

    openpyxl reads a sheet without a <dimension> element through to the end
    to size it, so the rows are counted here first, as the part unpacks.
    """
    limit = max_rows + SPARE_ROWS if max_rows is not None else None
    with archive.open(part) as stream:
        head = stream.read(4096)
        match = _DIMENSION.search(head)
        if limit is not None and match and int(match.group(4) or match.group(2)) > limit:
            _refuse(_("The sheet has more than %(max)d rows.") % {"max": max_rows})
        rows, tail, chunk = 0, b"", head
        while chunk:
            window = tail + chunk
            if _DTD.search(window):
                _refuse(_("The workbook holds XML declarations that Excel never writes; it cannot be read."))
            if limit is not None:
                rows += len(_ROW.findall(window)) - len(_ROW.findall(tail))
                if rows > limit:
                    _refuse(_("The sheet has more than %(max)d rows.") % {"max": max_rows})
            tail = window[-16:]
            chunk = stream.read(2**16)


def read_xlsx_rows(file, *, max_rows: int) -> list[tuple[int, list]]:
    """Return [(line, values)] of the first sheet, up to *max_rows* data rows; refuse bombs and formulas.

    *line* is the row number as Excel shows it. Raises ValidationError with a
    message for the user.
    """
    return _read_xlsx(file, max_rows=max_rows, first_only=True)[0].rows


@dataclass
class Sheet:
    name: str
    rows: list[tuple[int, list]]  # (line as the program shows it, cell values)


def _xlsx_sheet_rows(worksheet, *, max_rows: int, budget: int) -> list[tuple[int, list]]:
    rows = []
    for line, cells in enumerate(worksheet.iter_rows(max_col=MAX_COLUMNS), start=1):
        if line > max_rows + SPARE_ROWS or line > budget:
            _refuse(_("The sheet has more than %(max)d rows.") % {"max": max_rows})
        values = []
        for column, cell in enumerate(cells, start=1):
            if getattr(cell, "data_type", None) == "f":
                _refuse(
                    _(
                        "Row %(row)d, column %(column)s holds a formula. Replace it with its value "
                        "(copy, then paste as values) and upload again."
                    )
                    % {"row": line, "column": get_column_letter(column)}
                )
            values.append(getattr(cell, "value", None))
        rows.append((line, values))
    return rows


def _read_xlsx(file, *, max_rows: int, first_only: bool = False) -> list[Sheet]:
    check_xlsx_archive(file, max_rows=max_rows)
    try:
        workbook = load_workbook(file, read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds for a file that is not xlsx
        _refuse(_("The file is not an Excel workbook (.xlsx)."))
    try:
        worksheets = workbook.worksheets[:1] if first_only else workbook.worksheets
        if not worksheets:
            _refuse(_("The workbook has no sheet."))
        if len(worksheets) > MAX_SHEETS:
            _refuse(_("The workbook has more than %(max)d sheets.") % {"max": MAX_SHEETS})
        # The row limit holds for the whole file, not for each sheet.
        budget = max_rows + SPARE_ROWS * len(worksheets)
        sheets = []
        for worksheet in worksheets:
            rows = _xlsx_sheet_rows(worksheet, max_rows=max_rows, budget=budget)
            budget -= len(rows)
            sheets.append(Sheet(worksheet.title, rows))
        return sheets
    finally:
        workbook.close()


def _xls_value(cell, datemode: int):
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            moment = xlrd.xldate.xldate_as_datetime(cell.value, datemode)
        except (xlrd.xldate.XLDateError, OverflowError, ValueError):
            return cell.value
        return moment.date() if moment.time() == datetime.time() else moment
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return None
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    return cell.value


def _read_xls(data: bytes, *, max_rows: int) -> list[Sheet]:
    try:
        # on_demand: a sheet is parsed only when asked for, after the counts are checked.
        book = xlrd.open_workbook(file_contents=data, on_demand=True, logfile=io.StringIO())
    except Exception:  # xlrd raises many kinds for a damaged file
        _refuse(_("The file is not a readable Excel workbook (.xls)."))
    try:
        names = book.sheet_names()
        if not names:
            _refuse(_("The workbook has no sheet."))
        if len(names) > MAX_SHEETS:
            _refuse(_("The workbook has more than %(max)d sheets.") % {"max": MAX_SHEETS})
        budget = max_rows + SPARE_ROWS * len(names)
        sheets = []
        for index, name in enumerate(names):
            try:
                sheet = book.sheet_by_index(index)
            except Exception:
                _refuse(_("The file is not a readable Excel workbook (.xls)."))
            if sheet.nrows > max_rows + SPARE_ROWS or sheet.nrows > budget:
                _refuse(_("The sheet has more than %(max)d rows.") % {"max": max_rows})
            budget -= sheet.nrows
            width = min(sheet.ncols, MAX_COLUMNS)
            rows = [
                (
                    line,
                    [
                        _xls_value(sheet.cell(line - 1, c), book.datemode)
                        for c in range(min(width, sheet.row_len(line - 1)))
                    ],
                )
                for line in range(1, sheet.nrows + 1)
            ]
            book.unload_sheet(index)
            sheets.append(Sheet(name, rows))
        return sheets
    finally:
        book.release_resources()


def read_sheets(file, *, max_rows: int, name: str = "") -> list[Sheet]:
    """Return every sheet of an uploaded .xlsx, .xls or CSV file, up to *max_rows* data rows in all.

    The format is told by the file's first bytes (a renamed file still reads);
    a CSV is one sheet named after the file. Raises ValidationError with a
    message for the user.
    """
    file.seek(0)
    head = file.read(8)
    file.seek(0)
    if head.startswith(b"PK\x03\x04"):
        return _read_xlsx(file, max_rows=max_rows)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _read_xls(file.read(), max_rows=max_rows)
    rows = read_csv_rows(decode_text(file.read()), max_rows=max_rows)
    return [Sheet(name.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "CSV", rows)]


def decode_text(data: bytes) -> str:
    """Decode an uploaded text file written as UTF-8 or GBK (what Excel saves on Chinese Windows)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    _refuse(_("The file is neither UTF-8 nor GBK text; save it again as CSV or .xlsx."))


def read_csv_rows(text: str, *, max_rows: int) -> list[tuple[int, list]]:
    """Return [(line, values)] of a CSV (comma or tab separated), up to *max_rows* data rows."""
    text = text.replace("\x00", "")
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    rows = []
    try:
        for line, values in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            if line > max_rows + SPARE_ROWS:
                _refuse(_("The sheet has more than %(max)d rows.") % {"max": max_rows})
            rows.append((line, values[:MAX_COLUMNS]))
    except csv.Error:
        _refuse(_("The file is not a readable CSV file."))
    return rows
