"""The question bank (题库): Excel import and export, and quizzes built from it.

The sheet has the columns 题型, 题干, 选项A–选项F, 答案, 解析, 知识点, 难度 (the
header row may sit under a title row). An import is all or nothing: every
row is checked first, with the row and column of each problem, and the
questions are written in one transaction only when the whole file is valid.
"""

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.spreadsheets import new_workbook, read_xlsx_rows, workbook_bytes
from members.cells import cell_text
from training.models import OPTION_LETTERS, BankQuestion, Lesson, LiveItem
from training.services.live import live_item_create

# The headers are the bureau's own spreadsheet words, not interface text.
KIND_COLUMN, STEM_COLUMN, ANSWER_COLUMN = "题型", "题干", "答案"
EXPLANATION_COLUMN, TOPIC_COLUMN, DIFFICULTY_COLUMN = "解析", "知识点", "难度"
OPTION_COLUMNS = tuple(f"选项{letter}" for letter in OPTION_LETTERS)
COLUMNS = (
    KIND_COLUMN,
    STEM_COLUMN,
    *OPTION_COLUMNS,
    ANSWER_COLUMN,
    EXPLANATION_COLUMN,
    TOPIC_COLUMN,
    DIFFICULTY_COLUMN,
)
REQUIRED = (KIND_COLUMN, STEM_COLUMN, ANSWER_COLUMN)

KINDS = {
    "单选": BankQuestion.Kind.SINGLE,
    "单选题": BankQuestion.Kind.SINGLE,
    "单项选择": BankQuestion.Kind.SINGLE,
    "多选": BankQuestion.Kind.MULTIPLE,
    "多选题": BankQuestion.Kind.MULTIPLE,
    "多项选择": BankQuestion.Kind.MULTIPLE,
    "判断": BankQuestion.Kind.TRUE_FALSE,
    "判断题": BankQuestion.Kind.TRUE_FALSE,
}
KIND_NAMES = {
    BankQuestion.Kind.SINGLE: "单选",
    BankQuestion.Kind.MULTIPLE: "多选",
    BankQuestion.Kind.TRUE_FALSE: "判断",
}
DIFFICULTIES = {"易": 1, "简单": 1, "1": 1, "中": 2, "一般": 2, "2": 2, "": 2, "难": 3, "困难": 3, "3": 3}
DIFFICULTY_NAMES = {1: "易", 2: "中", 3: "难"}
TRUE_FALSE_OPTIONS = ["正确", "错误"]
TRUE_WORDS, FALSE_WORDS = {"对", "正确", "√", "是", "T", "TRUE"}, {"错", "错误", "×", "否", "F", "FALSE"}
MAX_ROWS = 5000
HEADER_SEARCH_ROWS = 10
_ANSWER_SEPARATORS = re.compile(r"[\s,，、;；]+")
# A cell starting with one of these is a formula to Excel (CSV/formula injection).


@dataclass
class BankImportError:
    line: int
    column: str
    message: str


@dataclass
class BankRow:
    line: int
    kind: str
    stem: str
    options: list[str]
    correct: list[int]
    explanation: str
    topic: str
    difficulty: int


@dataclass
class BankImportCheck:
    rows: list[BankRow] = field(default_factory=list)
    errors: list[BankImportError] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors and bool(self.rows)


class BankImportInvalid(Exception):
    def __init__(self, check: BankImportCheck):
        super().__init__(f"{len(check.errors)} problems in the question file")
        self.check = check


def _read(file) -> list[list]:
    """The first sheet's rows, through the one bomb-safe reader (formulas refused by row and column)."""
    return [values for _line, values in read_xlsx_rows(file, max_rows=MAX_ROWS)]


def _answer(kind: str, text: str, options: list[str]) -> list[int] | None:
    """Read 答案: letters (A, AC, A,C); for true/false also 对/错. None when unreadable."""
    text = text.strip().upper()
    if kind == BankQuestion.Kind.TRUE_FALSE:
        if text in TRUE_WORDS:
            return [0]
        if text in FALSE_WORDS:
            return [1]
    parts = [p for p in _ANSWER_SEPARATORS.split(text) if p]
    letters = "".join(parts)
    if not letters or any(ch not in OPTION_LETTERS for ch in letters):
        return None
    return sorted({OPTION_LETTERS.index(ch) for ch in letters})


def _check_row(line: int, cells: dict, errors: list, existing: set[str], seen: dict[str, int]) -> BankRow | None:
    before = len(errors)

    def fail(column, message):
        errors.append(BankImportError(line, column, message))

    kind = KINDS.get(cell_text(cells.get(KIND_COLUMN)))
    if kind is None:
        fail(KIND_COLUMN, _("Write 单选, 多选 or 判断."))
    stem = cell_text(cells.get(STEM_COLUMN))
    if not stem:
        fail(STEM_COLUMN, _("The stem is missing."))
    elif stem in seen:
        fail(STEM_COLUMN, _("The same stem is already on row %(line)d.") % {"line": seen[stem]})
    elif stem in existing:
        fail(STEM_COLUMN, _("This stem is already in the question bank."))
    elif len(stem) > 1000:
        fail(STEM_COLUMN, _("The stem is longer than 1000 characters."))
    raw = [cell_text(cells.get(column)) for column in OPTION_COLUMNS]
    while raw and not raw[-1]:
        raw.pop()
    if "" in raw:
        fail(OPTION_COLUMNS[raw.index("")], _("An option is empty while a later one is filled in."))
    options = raw
    if kind == BankQuestion.Kind.TRUE_FALSE and not options:
        options = list(TRUE_FALSE_OPTIONS)
    if kind is not None and len(options) < 2:
        fail(
            OPTION_COLUMNS[len(options)] if len(options) < len(OPTION_COLUMNS) else "", _("Give at least two options.")
        )
    if len(set(options)) != len(options):
        fail(OPTION_COLUMNS[0], _("Two options are the same."))
    correct = None
    if kind is not None:
        answer_text = cell_text(cells.get(ANSWER_COLUMN))
        correct = _answer(kind, answer_text, options)
        if not answer_text:
            fail(ANSWER_COLUMN, _("The answer is missing."))
        elif correct is None or any(c >= len(options) for c in correct):
            fail(ANSWER_COLUMN, _("The answer “%(value)s” is not among the options.") % {"value": answer_text})
        elif kind != BankQuestion.Kind.MULTIPLE and len(correct) != 1:
            fail(ANSWER_COLUMN, _("A single-choice or true/false question has one answer."))
    difficulty = DIFFICULTIES.get(cell_text(cells.get(DIFFICULTY_COLUMN)))
    if difficulty is None:
        fail(DIFFICULTY_COLUMN, _("Write 易, 中 or 难."))
    if stem:
        seen.setdefault(stem, line)
    if len(errors) > before:
        return None
    return BankRow(
        line=line,
        kind=kind,
        stem=stem,
        options=options,
        correct=correct,
        explanation=cell_text(cells.get(EXPLANATION_COLUMN))[:2000],
        topic=cell_text(cells.get(TOPIC_COLUMN))[:100],
        difficulty=difficulty,
    )


def question_bank_check(file, *, branch=None) -> BankImportCheck:
    """Validate a question sheet row by row without writing anything."""
    check = BankImportCheck()
    try:
        rows = _read(file)
    except ValidationError as exc:
        check.errors.append(BankImportError(0, "", exc.messages[0]))
        return check
    header_index = next(
        (i for i, values in enumerate(rows[:HEADER_SEARCH_ROWS]) if STEM_COLUMN in [cell_text(v) for v in values]),
        None,
    )
    if header_index is None:
        check.errors.append(BankImportError(1, STEM_COLUMN, _("The column is missing from the header row.")))
        return check
    header = [cell_text(v) for v in rows[header_index]]
    for column in REQUIRED:
        if column not in header:
            check.errors.append(
                BankImportError(header_index + 1, column, _("The column is missing from the header row."))
            )
    if check.errors:
        return check
    index = {name: i for i, name in enumerate(header) if name in COLUMNS}
    body = [
        (line + 1, values)
        for line, values in enumerate(rows)
        if line > header_index and any(cell_text(v) for v in values)
    ]
    if not body:
        check.errors.append(BankImportError(0, "", _("The file has no questions.")))
        return check
    if len(body) > MAX_ROWS:
        check.errors.append(BankImportError(0, "", _("A file may have at most %(max)d rows.") % {"max": MAX_ROWS}))
        return check
    existing = set(BankQuestion.objects.filter(branch=branch).values_list("stem", flat=True))
    seen: dict[str, int] = {}
    for line, values in body:
        cells = {name: values[i] if i < len(values) else None for name, i in index.items()}
        row = _check_row(line, cells, check.errors, existing, seen)
        if row is not None:
            check.rows.append(row)
    return check


def question_bank_import(file, *, branch=None, actor) -> int:
    """Import a question sheet into the bank of *branch* (None: the bureau's): all rows or none."""
    with transaction.atomic():
        check = question_bank_check(file, branch=branch)
        if not check.is_valid:
            raise BankImportInvalid(check)
        created_by = actor if getattr(actor, "is_authenticated", False) else None
        questions = [
            BankQuestion(
                branch=branch,
                kind=row.kind,
                stem=row.stem,
                options=row.options,
                correct=row.correct,
                explanation=row.explanation,
                topic=row.topic,
                difficulty=row.difficulty,
                created_by=created_by,
            )
            for row in check.rows
        ]
        # A concurrent import of the same stems fails on the unique constraint: nothing is half-written.
        BankQuestion.objects.bulk_create(questions, batch_size=500)
        audit_record(
            actor=actor,
            action="question_bank.imported",
            target=questions[0],
            payload={"rows": len(questions), "branch": branch.pk if branch else None},
        )
        return len(questions)


# --- export -----------------------------------------------------------------


def question_bank_xlsx(questions) -> bytes:
    """Write questions in the import format, so an export can be edited and imported elsewhere."""
    workbook = new_workbook()
    sheet = workbook.active
    sheet.title = "题库"
    sheet.append(list(COLUMNS))
    for question in questions:
        options = list(question.options) + [""] * (len(OPTION_LETTERS) - len(question.options))
        answer = "".join(OPTION_LETTERS[i] for i in question.correct)
        row = [
            KIND_NAMES[question.kind],
            question.stem,
            *options,
            answer,
            question.explanation,
            question.topic,
            DIFFICULTY_NAMES[question.difficulty],
        ]
        sheet.append(row)
    return workbook_bytes(workbook)  # the one writer neutralises formula-like text


# --- lesson quizzes from the bank ----------------------------------------


def live_items_from_bank(*, lesson: Lesson, questions, actor) -> list[LiveItem]:
    """Add bank questions to a lesson as quiz questions, in the order given."""
    with transaction.atomic():
        return [
            live_item_create(
                lesson=lesson,
                kind=LiveItem.Kind.QUIZ,
                text=question.stem,
                options=question.options,
                correct=question.correct,
                explanation=question.explanation,
                multiple=question.kind == BankQuestion.Kind.MULTIPLE,
                bank_question=question,
                actor=actor,
            )
            for question in questions
        ]
