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
"""

import csv
import io
import re
import zipfile
from collections.abc import Iterable

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
    check_xlsx_archive(file, max_rows=max_rows)
    try:
        workbook = load_workbook(file, read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds for a file that is not xlsx
        _refuse(_("The file is not an Excel workbook (.xlsx)."))
    try:
        if not workbook.worksheets:
            _refuse(_("The workbook has no sheet."))
        rows = []
        for line, cells in enumerate(workbook.worksheets[0].iter_rows(max_col=MAX_COLUMNS), start=1):
            if line > max_rows + SPARE_ROWS:
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
    finally:
        workbook.close()


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
