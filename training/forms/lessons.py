from decimal import Decimal

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from branches.forms.fields import OrganisationChoiceField, OrganisationMultipleChoiceField
from branches.models import Branch, Venue
from members.models import Member
from training.models import Attendance, Lesson, OutsideLecturer, StudyPlanItem
from training.querysets import GROUP_AUDIENCE_KINDS
from training.rules import default_credit_hours, study_requirement_for


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class LessonForm(forms.ModelForm):
    co_hosts = OrganisationMultipleChoiceField(
        label=_("Invite other branches (joint lesson)"),
        queryset=Branch.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    new_lecturer_name = forms.CharField(label=_("Or add an outside lecturer: name"), max_length=50, required=False)
    new_lecturer_organisation = forms.CharField(
        label=pgettext_lazy("workplace", "Organisation"), max_length=100, required=False
    )
    new_lecturer_title = forms.CharField(label=pgettext_lazy("job title", "Title"), max_length=50, required=False)
    credit_hours = forms.DecimalField(
        label=_("Credit hours (学时)"),
        max_digits=4,
        decimal_places=1,
        min_value=Decimal("0"),
        required=False,
        help_text=_("Leave empty to use the year's conversion rules."),
    )
    confirm_warnings = forms.BooleanField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Lesson
        field_classes = {"organiser": OrganisationChoiceField}
        fields = [
            "organiser",
            "title",
            "kind",
            "party_group",
            "format",
            "topic",
            "start",
            "end",
            "venue",
            "outside_place",
            "lecturer_member",
            "lecturer_outside",
            "credit_hours",
            "credit_hours_reason",
            "grace_minutes",
            "plan_item",
            "presenter",
            "recorder",
            "agenda",
            "decisions",
        ]
        widgets = {
            "start": DateTimeInput(),
            "end": DateTimeInput(),
            "topic": forms.Textarea(attrs={"rows": 3}),
            "agenda": forms.Textarea(attrs={"rows": 3}),
            "decisions": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, organiser_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organiser"].queryset = organiser_choices
        if organiser_choices.count() == 1 and not self.instance.pk:
            self.fields["organiser"].initial = organiser_choices.first()
        if self.instance.pk:
            self.fields["organiser"].disabled = True
            self.fields["co_hosts"].initial = list(
                self.instance.hosts.filter(is_organiser=False).values_list("branch_id", flat=True)
            )
        organiser_ids = list(organiser_choices.values_list("pk", flat=True))
        if self.instance.pk:
            organiser_ids = [self.instance.organiser_id]
        self.fields["venue"].queryset = Venue.objects.filter(
            Q(owner_id__in=organiser_ids) | Q(is_shareable=True)
        ).select_related("owner")
        self.fields["venue"].label_from_instance = lambda v: f"{v.name}（{v.owner.name}，{v.capacity}）"
        self.fields["co_hosts"].queryset = (
            Branch.objects.branches_only().active().exclude(pk__in=organiser_ids).order_by("sort_order", "code")
        )
        self.fields["lecturer_outside"].queryset = OutsideLecturer.objects.all()
        # A select of every member would not scale to thousands; the picker
        # searches by name or expertise and fills this field (see lecturer_search).
        self.fields["lecturer_member"].queryset = Member.objects.active()
        self.fields["lecturer_member"].widget.choices = self._current_lecturer_choice()
        self.fields["lecturer_member"].widget.attrs.update({"id": "id_lecturer_member"})
        self.fields["plan_item"].queryset = (
            StudyPlanItem.objects.filter(plan__branch_id__in=organiser_ids)
            .select_related("plan")
            .order_by("-plan__year", "month")
        )
        self.fields["plan_item"].label_from_instance = lambda i: f"{i.plan.year}-{i.month:02d} {i.topic}"

    def _current_lecturer_choice(self):
        choices = [("", "---------")]
        member_id = self.data.get("lecturer_member") or self.instance.lecturer_member_id
        if member_id:
            member = Member.objects.filter(pk=member_id).select_related("branch").first()
            if member is not None:
                choices.append((member.pk, f"{member.full_name}（{member.branch.name}）"))
        return choices

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end <= start:
            self.add_error("end", _("The end must be after the start."))
        if cleaned.get("new_lecturer_name") and not cleaned.get("new_lecturer_organisation"):
            self.add_error("new_lecturer_organisation", _("Give the lecturer's organisation."))
        if cleaned.get("new_lecturer_name") and (cleaned.get("lecturer_member") or cleaned.get("lecturer_outside")):
            self.add_error("new_lecturer_name", _("Choose one lecturer only."))
        if cleaned.get("lecturer_member") and cleaned.get("lecturer_outside"):
            self.add_error("lecturer_outside", _("Choose one lecturer only."))
        if cleaned.get("venue") and cleaned.get("outside_place"):
            self.add_error("outside_place", _("Choose a venue or write an outside place, not both."))
        if cleaned.get("kind") in GROUP_AUDIENCE_KINDS and not cleaned.get("party_group", "").strip():
            self.add_error("party_group", _("Name the Party cell whose meeting this is."))
        elif cleaned.get("kind") not in GROUP_AUDIENCE_KINDS:
            cleaned["party_group"] = ""
        if start and end and cleaned.get("kind") and not self.errors:
            default = default_credit_hours(
                kind=cleaned["kind"], start=start, end=end, requirement=study_requirement_for(start.year)
            )
            self.default_credit_hours = default
            given = cleaned.get("credit_hours")
            if given is None:
                cleaned["credit_hours"] = default
                cleaned["credit_hours_reason"] = ""
            elif given != default and not cleaned.get("credit_hours_reason", "").strip():
                self.add_error(
                    "credit_hours_reason",
                    _("The rules give %(hours)s hours; say why this lesson counts differently.") % {"hours": default},
                )
        return cleaned


class InvitationResponseForm(forms.Form):
    accept = forms.TypedChoiceField(
        choices=[("1", _("Accept")), ("0", _("Decline"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
        label=_("Answer"),
    )
    reason = forms.CharField(label=_("Reason (needed when declining)"), max_length=200, required=False)


class LeaveRequestForm(forms.Form):
    reason = forms.CharField(label=_("Reason for leave"), max_length=200)


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Rating"),
        choices=[(i, "★" * i) for i in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )
    anonymous = forms.BooleanField(label=_("Anonymous"), required=False)


class QuestionForm(forms.Form):
    text = forms.CharField(label=_("Your question"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    anonymous = forms.BooleanField(label=_("Ask anonymously"), required=False)


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)


class MaterialForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    file = forms.FileField(label=_("File"), required=False)
    url = forms.URLField(label=_("Or a link"), required=False, assume_scheme="https")


ATTENDANCE_CHOICES = [(s, label) for s, label in Attendance.Status.choices if s != Attendance.Status.UNMARKED]
