from django import forms
from django.utils.translation import gettext_lazy as _

from branches.forms.fields import OrganisationMultipleChoiceField
from branches.models import Branch
from members.forms.members import DateInput
from members.models import Member
from training.models import Assignment, StudyNote, StudyResource
from training.selectors.study import lessons_for_notes, open_assignments_for


class NoteForm(forms.ModelForm):
    class Meta:
        model = StudyNote
        fields = ["kind", "title", "assignment", "lesson", "resource", "study_date", "hours", "body"]
        widgets = {
            "study_date": DateInput(),
            "body": forms.Textarea(attrs={"rows": 12, "class": "note-body"}),
            "hours": forms.NumberInput(attrs={"step": "0.5", "min": "0", "inputmode": "decimal"}),
        }

    def __init__(self, *args, member: Member, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignment"].queryset = open_assignments_for(member)
        self.fields["lesson"].queryset = (
            lessons_for_notes(member)[:50] if not self.is_bound else lessons_for_notes(member)
        )
        self.fields["resource"].queryset = StudyResource.objects.order_by("title")
        self.fields["lesson"].label_from_instance = lambda lesson: f"{lesson.start:%Y-%m-%d} {lesson.title}"


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("pass", _("Pass")), ("return", _("Return for revision"))],
        widget=forms.RadioSelect,
    )
    grade = forms.ChoiceField(label=_("Grade"), choices=[("", "---------"), *StudyNote.Grade.choices], required=False)
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class ResourceForm(forms.ModelForm):
    url = forms.URLField(label=_("link"), required=False, assume_scheme="https")

    class Meta:
        model = StudyResource
        fields = ["title", "kind", "author", "url", "description", "recommendation"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "recommendation": forms.Textarea(attrs={"rows": 3}),
        }


class AssignmentForm(forms.ModelForm):
    branches = OrganisationMultipleChoiceField(
        label=_("Assign to branches"),
        queryset=Branch.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    members = forms.ModelMultipleChoiceField(
        label=_("Or to these members"),
        queryset=Member.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    class Meta:
        model = Assignment
        fields = ["title", "topic", "resource", "due_on", "min_hours"]
        widgets = {"due_on": DateInput(), "topic": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, branches, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branches"].queryset = branches
        self.fields["members"].queryset = members
        self.fields["members"].label_from_instance = lambda m: f"{m.full_name}（{m.branch.name}）"
        self.fields["resource"].queryset = StudyResource.objects.order_by("title")

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("branches") and not cleaned.get("members"):
            raise forms.ValidationError(_("Choose at least one branch or member."))
        return cleaned
