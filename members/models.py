import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.pinyin import name_index
from members.querysets import MemberQuerySet, PostQuerySet


class Member(models.Model):
    """A Party member (党员), with or without a login account."""

    class Gender(models.TextChoices):
        MALE = "male", _("male")
        FEMALE = "female", _("female")

    class Status(models.TextChoices):
        FULL = "full", _("full member")
        PROBATIONARY = "probationary", _("probationary member")
        TRANSFERRED_OUT = "transferred_out", _("transferred out")
        DECEASED = "deceased", _("deceased")

    class Standing(models.TextChoices):
        # 党籍状态 as the national Party-member information system keeps it;
        # apart from normal, a member is left out of requirements and figures
        # (members.selectors.memberships).
        NORMAL = "normal", _("normal")
        SUSPENDED = "suspended", _("membership suspended")
        LOST_CONTACT = "lost_contact", _("lost contact")
        RETAINED_ABROAD = "retained_abroad", _("membership kept while abroad")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="member",
        verbose_name=_("login account"),
    )
    full_name = models.CharField(_("full name"), max_length=50)
    name_pinyin = models.CharField(_("name in pinyin"), max_length=200, blank=True, editable=False)
    name_initials = models.CharField(
        _("pinyin initials"),
        max_length=50,
        blank=True,
        editable=False,
        db_index=True,
    )
    gender = models.CharField(_("gender"), max_length=10, choices=Gender)
    ethnicity = models.CharField(_("ethnicity"), max_length=20, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    education = models.CharField(_("education"), max_length=30, blank=True)
    id_number = models.CharField(
        _("national ID number"),
        max_length=18,
        unique=True,
        null=True,
        blank=True,
    )
    phone = models.CharField(_("mobile phone"), max_length=11, blank=True)
    landline = models.CharField(_("landline"), max_length=30, blank=True)
    email = models.EmailField(_("email"), blank=True)
    # Work situation (在职, 离退休 …); the member status 人员类别 is `status`.
    category = models.CharField(_("work situation"), max_length=30, blank=True)
    joined_party_on = models.DateField(_("joined the Party on"))
    full_member_on = models.DateField(_("became a full member on"), null=True, blank=True)
    status = models.CharField(_("member status"), max_length=20, choices=Status, default=Status.FULL)
    standing = models.CharField(_("Party standing"), max_length=20, choices=Standing, default=Standing.NORMAL)
    branch = models.ForeignKey(
        "branches.Branch",
        on_delete=models.PROTECT,
        related_name="members",
        verbose_name=_("branch"),
    )
    work_unit = models.CharField(_("work unit"), max_length=100, blank=True)
    job_post = models.CharField(_("job post"), max_length=100, blank=True)
    party_title = models.CharField(_("post in the Party"), max_length=50, blank=True)
    party_group = models.CharField(_("Party cell"), max_length=50, blank=True)
    expertise = models.CharField(
        _("expertise tags"),
        max_length=200,
        blank=True,
        help_text=_("Separate tags with commas, e.g. road engineering, law, finance."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("Party member")
        verbose_name_plural = _("Party members")
        ordering = ["name_pinyin", "pk"]
        permissions = [
            ("view_full_identity", _("Can see full ID and phone numbers")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(full_member_on__isnull=True) | Q(full_member_on__gte=models.F("joined_party_on")),
                name="member_full_after_joining",
            ),
        ]
        indexes = [models.Index(fields=["branch", "status"])]

    def __str__(self):
        return self.full_name

    def save(self, *args, **kwargs):
        self.refresh_name_index()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("members:member_detail", args=[self.pk])

    def refresh_name_index(self):
        """Derive the pinyin search columns from the name (bulk writes call this too)."""
        self.name_pinyin, self.name_initials = name_index(self.full_name)

    @property
    def is_active_member(self) -> bool:
        return self.status in (self.Status.FULL, self.Status.PROBATIONARY)

    @property
    def in_good_standing(self) -> bool:
        return self.standing == self.Standing.NORMAL

    @property
    def expertise_tags(self) -> list[str]:
        return [t.strip() for t in self.expertise.replace("，", ",").split(",") if t.strip()]


class Membership(models.Model):
    """One period of a member's belonging to a branch; transfers close one and open the next."""

    member = models.ForeignKey(
        Member,
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("member"),
    )
    branch = models.ForeignKey(
        "branches.Branch",
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("branch"),
    )
    start_on = models.DateField(_("from"))
    end_on = models.DateField(_("until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("membership history")
        ordering = ["member", "start_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(end_on__isnull=True),
                name="membership_one_open_per_member",
            ),
            models.CheckConstraint(
                condition=Q(end_on__isnull=True) | Q(end_on__gte=models.F("start_on")),
                name="membership_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.member_id} @ {self.branch_id} {self.start_on}–{self.end_on or ''}"


class Post(models.Model):
    """A member's post in a branch (支部书记, 组织委员, …) for a period; roles derive from these."""

    class Kind(models.TextChoices):
        SECRETARY = "secretary", _("secretary")
        DEPUTY_SECRETARY = "deputy_secretary", _("deputy secretary")
        ORGANISING = "organising", _("organising committee member")
        PUBLICITY = "publicity", _("publicity committee member")
        DISCIPLINE = "discipline", _("discipline committee member")
        COMMITTEE = "committee", _("committee member")
        GROUP_LEADER = "group_leader", _("Party cell leader")

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="posts", verbose_name=_("member"))
    branch = models.ForeignKey(
        "branches.Branch",
        on_delete=models.PROTECT,
        related_name="posts",
        verbose_name=_("branch"),
    )
    kind = models.CharField(_("post"), max_length=20, choices=Kind)
    start_on = models.DateField(_("from"))
    end_on = models.DateField(_("until"), null=True, blank=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["branch", "kind", "start_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_on__isnull=True) | Q(end_on__gte=models.F("start_on")),
                name="post_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.member_id}"


class LeadershipScope(models.Model):
    """Leadership at one organisation (a bureau's 党组 or 机关党委): it leads that subtree only.

    The global "leadership" group is the top-level account (the county
    organisation department) and sees the whole tree.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="leadership_scopes",
        verbose_name=_("account"),
    )
    organisation = models.ForeignKey(
        "branches.Branch",
        on_delete=models.PROTECT,
        related_name="leadership_scopes",
        verbose_name=_("organisation"),
    )

    class Meta:
        verbose_name = _("leadership scope")
        verbose_name_plural = _("leadership scopes")
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="leadership_scope_unique"),
        ]

    def __str__(self):
        return f"{self.user_id} · {self.organisation_id}"


class NotificationPreference(models.Model):
    """How a member wants to be reminded; the in-app inbox is always on."""

    member = models.OneToOneField(Member, on_delete=models.CASCADE, related_name="notification_preference")
    email = models.BooleanField(_("by email"), default=True)
    sms = models.BooleanField(_("by SMS"), default=False)
    quiet_start = models.TimeField(_("no SMS from"), default=datetime.time(21, 0))
    quiet_end = models.TimeField(_("no SMS until"), default=datetime.time(8, 0))

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self):
        return str(self.member_id)


class Notification(models.Model):
    """One message to one member on one channel; the dedup key makes every send happen once.

    States: pending → sending → sent, or failed after the last retry. A row
    stuck in sending (its worker died) goes back to pending after a timeout.
    """

    class Channel(models.TextChoices):
        IN_APP = "in_app", _("in-app")
        EMAIL = "email", _("email")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    recipient = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="notifications")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel)
    kind = models.CharField(_("kind"), max_length=40)
    dedup_key = models.CharField(max_length=200, unique=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    send_after = models.DateTimeField(_("not before"), default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "channel", "read_at"]),
            models.Index(fields=["status", "send_after"]),
        ]

    def __str__(self):
        return self.dedup_key


class DeliveryLog(models.Model):
    """Proof that a notification left: written in the same transaction that marks it sent."""

    notification = models.OneToOneField(Notification, on_delete=models.CASCADE, related_name="delivery")
    channel = models.CharField(max_length=10)
    delivered_at = models.DateTimeField(auto_now_add=True)
    reference = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("delivery log")

    def __str__(self):
        return f"{self.notification_id} {self.channel}"


class StaleFigures(models.Model):
    """A year's figures that a change made stale: of one member, of one branch, or (neither) of everyone.

    Every service that changes a record a figure depends on writes these in
    its own transaction; the figures ledger (training.services.figures)
    claims and deletes them when it recomputes. Repeated marks collapse into
    one row, so a burst of changes is one recompute.
    """

    year = models.PositiveSmallIntegerField()
    member = models.ForeignKey(Member, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    branch = models.ForeignKey("branches.Branch", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    marked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("stale figures")
        verbose_name_plural = _("stale figures")
        constraints = [
            models.UniqueConstraint(fields=["year", "member"], condition=Q(member__isnull=False), name="stale_member"),
            models.UniqueConstraint(fields=["year", "branch"], condition=Q(branch__isnull=False), name="stale_branch"),
            models.UniqueConstraint(
                fields=["year"], condition=Q(member__isnull=True, branch__isnull=True), name="stale_everyone"
            ),
            models.CheckConstraint(
                condition=Q(member__isnull=True) | Q(branch__isnull=True), name="stale_member_or_branch"
            ),
        ]

    def __str__(self):
        return f"{self.year}: {self.member_id or ''}/{self.branch_id or ''}"


class IdentityAccess(models.Model):
    """One showing of a full ID or phone number to someone other than its owner (PIPL Art. 51).

    Written only by members.sensitive.reveal and friends; kept for
    IDENTITY_ACCESS_RETENTION_DAYS and then purged.
    """

    class Field(models.TextChoices):
        ID_NUMBER = "id_number", _("national ID number")
        PHONE = "phone", _("mobile phone")

    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("viewer"),
    )
    viewer_name = models.CharField(_("viewer"), max_length=150)
    member = models.ForeignKey(
        Member,
        on_delete=models.PROTECT,
        related_name="identity_accesses",
        verbose_name=_("member"),
    )
    field = models.CharField(_("field"), max_length=20, choices=Field)
    where = models.CharField(_("where"), max_length=200)
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("identity access")
        verbose_name_plural = _("identity access log")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["member", "at"])]

    def __str__(self):
        return f"{self.viewer_name} → {self.member_id} {self.field}"
