"""Interactive lessons: polls and quiz questions shown live, the question bank, knowledge quizzes and topic surveys."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

OPTION_LETTERS = "ABCDEF"


class LiveItem(models.Model):
    """A poll or a quiz question of a lesson, opened and closed by the presenter."""

    class Kind(models.TextChoices):
        POLL = "poll", _("poll")
        QUIZ = "quiz", _("quiz question")

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("live item status", "not yet open")
        OPEN = "open", pgettext_lazy("live item status", "open")
        CLOSED = "closed", pgettext_lazy("live item status", "closed")
        REVEALED = "revealed", pgettext_lazy("live item status", "results shown")

    lesson = models.ForeignKey("training.Lesson", on_delete=models.CASCADE, related_name="live_items")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.POLL)
    text = models.TextField(_("question"), max_length=1000)
    options = models.JSONField(_("options"), default=list)
    # Indexes into options; empty for a poll.
    correct = models.JSONField(_("correct answers"), default=list, blank=True)
    explanation = models.TextField(_("explanation"), blank=True, max_length=2000)
    multiple = models.BooleanField(_("several answers allowed"), default=False)
    anonymous = models.BooleanField(_("anonymous"), default=False)
    # A named poll may let a member change their answer while it is open.
    allow_change = models.BooleanField(_("answer may be changed"), default=False)
    time_limit = models.PositiveSmallIntegerField(_("time limit (seconds)"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.DRAFT)
    position = models.PositiveIntegerField(default=0)
    bank_question = models.ForeignKey(
        "training.BankQuestion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("live question")
        verbose_name_plural = _("live questions")
        ordering = ["lesson", "position", "pk"]
        constraints = [
            # A quiz question is marked per member: it cannot be anonymous.
            models.CheckConstraint(condition=~Q(kind="quiz", anonymous=True), name="live_quiz_not_anonymous"),
            models.CheckConstraint(condition=~Q(anonymous=True, allow_change=True), name="live_anonymous_once"),
        ]

    def __str__(self):
        return self.text[:40]

    @property
    def is_quiz(self) -> bool:
        return self.kind == self.Kind.QUIZ

    @property
    def stem(self) -> str:
        """The question's text, named as in the question bank (shared quiz templates)."""
        return self.text

    @property
    def lettered(self) -> list[tuple[int, str, str]]:
        return [(i, OPTION_LETTERS[i], text) for i, text in enumerate(self.options)]


class LiveAnswer(models.Model):
    """A named answer: one per member and question (the database refuses a second)."""

    item = models.ForeignKey(LiveItem, on_delete=models.CASCADE, related_name="answers")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="live_answers")
    choices = models.JSONField(default=list)
    is_correct = models.BooleanField(null=True)
    answered_at = models.DateTimeField()

    class Meta:
        verbose_name = _("live answer")
        verbose_name_plural = _("live answers")
        constraints = [models.UniqueConstraint(fields=["item", "member"], name="live_answer_once")]

    def __str__(self):
        return f"{self.item_id} · {self.member_id}"


class LiveTally(models.Model):
    """The count for one option of an anonymous poll: no row names who chose it."""

    item = models.ForeignKey(LiveItem, on_delete=models.CASCADE, related_name="tallies")
    option = models.PositiveSmallIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "option"], name="live_tally_once")]

    def __str__(self):
        return f"{self.item_id} · {self.option}: {self.count}"


class LiveParticipation(models.Model):
    """That a member answered an anonymous poll (not what): answers once, counted apart from the tally."""

    item = models.ForeignKey(LiveItem, on_delete=models.CASCADE, related_name="participations")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "member"], name="live_participation_once")]

    def __str__(self):
        return f"{self.item_id} · {self.member_id}"


class QuizResult(models.Model):
    """A member's quiz result at a lesson: in the session, or a make-up attempt."""

    class Source(models.TextChoices):
        LIVE = "live", _("in the lesson")
        MAKE_UP = "make_up", _("make-up quiz")

    lesson = models.ForeignKey("training.Lesson", on_delete=models.CASCADE, related_name="quiz_results")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="quiz_results")
    source = models.CharField(_("source"), max_length=10, choices=Source, default=Source.LIVE)
    correct = models.PositiveSmallIntegerField(_("correct answers"), default=0)
    total = models.PositiveSmallIntegerField(_("questions"), default=0)
    score = models.PositiveSmallIntegerField(_("score"), default=0)  # percent, 0–100
    passed = models.BooleanField(_("passed"), null=True)
    answered_at = models.DateTimeField(_("answered at"))

    class Meta:
        verbose_name = _("quiz result")
        verbose_name_plural = _("quiz results")
        constraints = [
            models.UniqueConstraint(fields=["lesson", "member", "source"], name="quiz_result_once"),
            models.CheckConstraint(condition=Q(score__lte=100), name="quiz_result_score_max_100"),
        ]

    def __str__(self):
        return f"{self.lesson_id} · {self.member_id}: {self.score}"


class LiveSetting(models.Model):
    """Per-lesson settings of the interactive part: the pass mark of the make-up quiz."""

    lesson = models.OneToOneField("training.Lesson", on_delete=models.CASCADE, related_name="live_setting")
    make_up_pass_mark = models.PositiveSmallIntegerField(_("make-up quiz pass mark (%)"), null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(make_up_pass_mark__lte=100) | Q(make_up_pass_mark__isnull=True), name="live_pass_mark_max"
            )
        ]

    def __str__(self):
        return f"{self.lesson_id}"


class QuestionVote(models.Model):
    """An upvote of a question on the wall; once per member."""

    question = models.ForeignKey("training.Question", on_delete=models.CASCADE, related_name="votes")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["question", "member"], name="question_vote_once")]

    def __str__(self):
        return f"{self.question_id} · {self.member_id}"


class BankQuestion(models.Model):
    """A question of the question bank (题库): a branch's own, or the bureau's when branch is empty."""

    class Kind(models.TextChoices):
        SINGLE = "single", _("single choice")
        MULTIPLE = "multiple", _("multiple choice")
        TRUE_FALSE = "true_false", _("true or false")

    class Difficulty(models.IntegerChoices):
        EASY = 1, _("easy")
        MEDIUM = 2, _("medium")
        HARD = 3, _("hard")

    branch = models.ForeignKey(
        "branches.Branch", on_delete=models.PROTECT, null=True, blank=True, related_name="bank_questions"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind)
    stem = models.TextField(_("stem"), max_length=1000)
    options = models.JSONField(_("options"), default=list)
    correct = models.JSONField(_("answer"), default=list)
    explanation = models.TextField(_("explanation"), blank=True, max_length=2000)
    topic = models.CharField(_("knowledge point"), max_length=100, blank=True)
    difficulty = models.PositiveSmallIntegerField(_("difficulty"), choices=Difficulty, default=Difficulty.MEDIUM)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("bank question")
        verbose_name_plural = _("question bank")
        ordering = ["topic", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "stem"], name="bank_question_stem_once"),
            models.UniqueConstraint(
                fields=["stem"], condition=Q(branch__isnull=True), name="bank_question_bureau_stem_once"
            ),
        ]

    def __str__(self):
        return self.stem[:40]

    @property
    def multiple(self) -> bool:
        return self.kind == self.Kind.MULTIPLE


class KnowledgeQuiz(models.Model):
    """A knowledge quiz (知识测试) open for a period, for a branch's subtree or the whole bureau."""

    branch = models.ForeignKey(
        "branches.Branch", on_delete=models.PROTECT, null=True, blank=True, related_name="knowledge_quizzes"
    )
    title = models.CharField(_("title"), max_length=120)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    questions = models.ManyToManyField(BankQuestion, related_name="+", verbose_name=_("questions"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("knowledge quiz")
        verbose_name_plural = _("knowledge quizzes")
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")), name="knowledge_quiz_period")
        ]

    def __str__(self):
        return self.title


class KnowledgeQuizAttempt(models.Model):
    """A member's one attempt at a knowledge quiz."""

    quiz = models.ForeignKey(KnowledgeQuiz, on_delete=models.CASCADE, related_name="attempts")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="knowledge_attempts")
    branch = models.ForeignKey("branches.Branch", on_delete=models.PROTECT, related_name="+")
    correct = models.PositiveSmallIntegerField(default=0)
    total = models.PositiveSmallIntegerField(default=0)
    score = models.PositiveSmallIntegerField(_("score"), default=0)
    answered_at = models.DateTimeField(_("answered at"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["quiz", "member"], name="knowledge_attempt_once")]

    def __str__(self):
        return f"{self.quiz_id} · {self.member_id}: {self.score}"


class TopicSurvey(models.Model):
    """A survey of the topics members want to learn (培训需求), before the annual plan is written."""

    branch = models.ForeignKey(
        "branches.Branch", on_delete=models.PROTECT, null=True, blank=True, related_name="topic_surveys"
    )
    year = models.PositiveSmallIntegerField(_("plan year"))
    title = models.CharField(_("title"), max_length=120)
    closes_on = models.DateField(_("closes on"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("topic survey")
        verbose_name_plural = _("topic surveys")
        ordering = ["-year", "-pk"]

    def __str__(self):
        return self.title


class TopicProposal(models.Model):
    """A topic a member asks for; its demand is who proposed it and who voted for it."""

    survey = models.ForeignKey(TopicSurvey, on_delete=models.CASCADE, related_name="proposals")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("topic"), max_length=100)
    reason = models.TextField(_("why it matters at work"), blank=True, max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)
    plan_items = models.ManyToManyField("training.StudyPlanItem", blank=True, related_name="requested_topics")
    lessons = models.ManyToManyField("training.Lesson", blank=True, related_name="requested_topics")

    class Meta:
        verbose_name = _("requested topic")
        verbose_name_plural = _("requested topics")
        constraints = [models.UniqueConstraint(fields=["survey", "title"], name="topic_proposal_once")]

    def __str__(self):
        return self.title


class TopicVote(models.Model):
    """A member's vote for a topic; the proposer's own vote is made with the proposal."""

    proposal = models.ForeignKey(TopicProposal, on_delete=models.CASCADE, related_name="votes")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["proposal", "member"], name="topic_vote_once")]

    def __str__(self):
        return f"{self.proposal_id} · {self.member_id}"
