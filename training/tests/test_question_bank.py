"""The question bank: Excel import row by row, all or nothing; export; lesson quizzes and knowledge quizzes."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from members.tests.factories import MemberFactory
from training.models import BankQuestion, KnowledgeQuiz, LiveItem
from training.selectors.quizzes import branch_ranking, person_ranking
from training.services.question_bank import (
    COLUMNS,
    BankImportInvalid,
    live_items_from_bank,
    question_bank_check,
    question_bank_import,
    question_bank_xlsx,
)
from training.services.quizzes import knowledge_quiz_create, knowledge_quiz_submit
from training.tests.conftest import member_of

pytestmark = pytest.mark.django_db

HEADER = list(COLUMNS)


def sheet(*rows, title=True) -> io.BytesIO:
    workbook = Workbook()
    ws = workbook.active
    if title:
        ws.append(["机关第一支部题库"])
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "bank.xlsx"
    return buffer


def row(kind="单选", stem="党的根本宗旨是？", options=("全心全意为人民服务", "发展经济"), answer="A", **extra):
    options = list(options) + [""] * (6 - len(options))
    return [
        kind,
        stem,
        *options,
        answer,
        extra.get("explanation", "党章"),
        extra.get("topic", "党章"),
        extra.get("difficulty", "易"),
    ]


def test_valid_sheet_imports_every_question(branch_a, secretary):
    file = sheet(
        row(),
        row(
            kind="多选", stem="“三会一课”包括？", options=("支部党员大会", "支委会", "党小组会", "党课"), answer="ABCD"
        ),
        row(kind="判断", stem="预备党员有表决权。", options=(), answer="错", difficulty="中"),
    )
    assert question_bank_import(file, branch=branch_a, actor=secretary) == 3
    tf = BankQuestion.objects.get(kind="true_false")
    assert (tf.options, tf.correct, tf.difficulty) == (["正确", "错误"], [1], 2)
    assert BankQuestion.objects.get(kind="multiple").correct == [0, 1, 2, 3]


def test_bad_rows_are_refused_with_row_and_column_and_nothing_saved(branch_a, secretary):
    BankQuestion.objects.create(branch=branch_a, kind="single", stem="已有的题", options=["甲", "乙"], correct=[0])
    file = sheet(
        row(),
        row(stem="", answer="A"),
        row(stem="答案不在选项中", answer="E"),
        row(),  # the same stem as row 3
        row(stem="已有的题"),
        row(kind="填空", stem="未知题型"),
        row(stem="单选两个答案", answer="AB"),
    )
    check = question_bank_check(file, branch=branch_a)
    got = {(e.line, e.column) for e in check.errors}
    assert got == {(4, "题干"), (5, "答案"), (6, "题干"), (7, "题干"), (8, "题型"), (9, "答案")}
    file.seek(0)
    with pytest.raises(BankImportInvalid):
        question_bank_import(file, branch=branch_a, actor=secretary)
    assert BankQuestion.objects.count() == 1


def test_export_reads_back_and_neutralises_formulas(branch_a, secretary):
    BankQuestion.objects.create(
        branch=branch_a, kind="single", stem='=HYPERLINK("http://x")', options=["-1", "2"], correct=[0]
    )
    data = question_bank_xlsx(BankQuestion.objects.all())
    ws = load_workbook(io.BytesIO(data)).active
    assert [c.value for c in ws[1]] == HEADER
    assert (ws["B2"].value, ws["C2"].value, ws["I2"].value) == ('\'=HYPERLINK("http://x")', "'-1", "A")


def test_import_pages_preview_then_confirm(client, branch_a, secretary):
    client.force_login(secretary)
    upload = sheet(row())
    response = client.post(reverse("quizzes:bank_import"), {"owner": str(branch_a.pk), "file": upload})
    assert response.status_code == 200 and not BankQuestion.objects.exists()
    client.post(reverse("quizzes:bank_import_confirm"))
    assert BankQuestion.objects.filter(branch=branch_a).count() == 1
    bad = client.post(reverse("quizzes:bank_import"), {"owner": str(branch_a.pk), "file": sheet(row(answer="Z"))})
    assert bad.status_code == 400 and 'id="bank-errors"' in bad.content.decode()


def test_secretary_cannot_import_into_the_bureau_bank(client, branch_a, secretary):
    client.force_login(secretary)
    response = client.post(reverse("quizzes:bank_import"), {"owner": "bureau", "file": sheet(row())})
    assert response.status_code == 400 and not BankQuestion.objects.exists()


def test_lesson_quiz_from_the_bank(lesson_a, secretary, client):
    question = BankQuestion.objects.create(
        kind="multiple", stem="多选题", options=["甲", "乙", "丙"], correct=[0, 2], explanation="解析"
    )
    client.force_login(secretary)
    client.post(reverse("training:live_bank_add", args=[lesson_a.pk]), {"questions": [question.pk]})
    item = LiveItem.objects.get(lesson=lesson_a)
    assert (item.kind, item.correct, item.multiple, item.bank_question_id) == ("quiz", [0, 2], True, question.pk)
    assert live_items_from_bank(lesson=lesson_a, questions=[question], actor=secretary)[0].position == 2


def test_knowledge_quiz_once_in_its_period_with_rankings(branch_a, branch_b, secretary, member, outsider, leader):
    q1 = BankQuestion.objects.create(kind="single", stem="一", options=["对", "错"], correct=[0])
    q2 = BankQuestion.objects.create(kind="single", stem="二", options=["对", "错"], correct=[1])
    now = timezone.now()
    quiz = knowledge_quiz_create(
        branch=None,
        title="党章党规知识测试",
        opens_at=now - datetime.timedelta(hours=1),
        closes_at=now + datetime.timedelta(hours=1),
        questions=[q1, q2],
        actor=leader,
    )
    knowledge_quiz_submit(quiz=quiz, member=member_of(member), answers={q1.pk: ["0"], q2.pk: ["1"]})
    knowledge_quiz_submit(quiz=quiz, member=member_of(secretary), answers={q1.pk: ["0"], q2.pk: ["0"]})
    knowledge_quiz_submit(quiz=quiz, member=member_of(outsider), answers={q1.pk: ["1"]})
    with pytest.raises(ValidationError):
        knowledge_quiz_submit(quiz=quiz, member=member_of(member), answers={})
    late = now + datetime.timedelta(hours=2)
    with pytest.raises(ValidationError):
        knowledge_quiz_submit(quiz=quiz, member=MemberFactory(branch=branch_a), answers={}, now=late)
    assert [a.score for a in person_ranking(quiz)] == [100, 50, 0]
    assert [(r["branch_id"], r["average"], r["takers"]) for r in branch_ranking(quiz)] == [
        (branch_a.pk, 75, 2),
        (branch_b.pk, 0, 1),
    ]


def test_branch_quiz_is_hidden_from_another_branch(client, branch_a, outsider, secretary):
    now = timezone.now()
    quiz = KnowledgeQuiz.objects.create(
        branch=branch_a, title="支部测试", opens_at=now, closes_at=now + datetime.timedelta(days=1)
    )
    client.force_login(outsider)
    assert client.get(reverse("quizzes:knowledge_detail", args=[quiz.pk])).status_code == 404
    assert client.post(reverse("quizzes:knowledge_detail", args=[quiz.pk])).status_code == 404


def test_member_takes_a_knowledge_quiz_on_its_page(client, branch_a, member):
    single = BankQuestion.objects.create(kind="single", stem="单选题", options=["甲", "乙"], correct=[1])
    multiple = BankQuestion.objects.create(kind="multiple", stem="多选题", options=["甲", "乙", "丙"], correct=[0, 2])
    now = timezone.now()
    quiz = KnowledgeQuiz.objects.create(
        branch=None,
        title="测试",
        opens_at=now - datetime.timedelta(hours=1),
        closes_at=now + datetime.timedelta(hours=1),
    )
    quiz.questions.set([single, multiple])
    client.force_login(member)
    page = client.get(reverse("quizzes:knowledge_detail", args=[quiz.pk])).content.decode()
    assert f'type="checkbox" name="q{multiple.pk}"' in page and f'type="radio" name="q{single.pk}"' in page
    client.post(
        reverse("quizzes:knowledge_detail", args=[quiz.pk]), {f"q{single.pk}": "1", f"q{multiple.pk}": ["0", "2"]}
    )
    page = client.get(reverse("quizzes:knowledge_detail", args=[quiz.pk])).content.decode()
    assert 'id="my-knowledge-result"' in page and quiz.attempts.get().score == 100
