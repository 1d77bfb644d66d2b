from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.models import AssessmentScheme

_SCHEME_FIELDS = [
    "required_self_study_hours",
    "required_notes",
    "weight_attendance",
    "weight_centralised",
    "weight_self_study",
    "weight_note_quality",
    "weight_branch_rating",
    "excellent_share_max",
    "excellent_needs_hours",
]


class SchemeForm(forms.ModelForm):
    class Meta:
        model = AssessmentScheme
        fields = _SCHEME_FIELDS
        help_texts = {
            "weight_attendance": _(
                "Points for the attendance rate. A member who had no lesson to attend in the year has no "
                "attendance rate and gets 0 of these points, so a branch gains nothing by holding no lessons."
            ),
        }

    def clean(self):
        cleaned = super().clean()
        weights = [cleaned.get(name) for name in _SCHEME_FIELDS if name.startswith("weight_")]
        if None not in weights and sum(weights) != 100:
            raise forms.ValidationError(
                _("The weights add up to %(total)d; they must add up to 100.") % {"total": sum(weights)}
            )
        return cleaned


class SelfSummaryForm(forms.Form):
    text = forms.CharField(label=_("Self-summary"), widget=forms.Textarea(attrs={"rows": 8}), max_length=5000)


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("Reason for reopening"), max_length=300)


class ApplyToAllForm(forms.Form):
    """One outcome and rating to put in every row of the evaluation page before saving."""

    evaluation = forms.ChoiceField(label=_("Democratic evaluation"), required=False)
    rating = forms.IntegerField(
        label=_("Branch rating (0–100)"),
        required=False,
        min_value=0,
        max_value=100,
        error_messages={
            "invalid": _("A rating is a number from 0 to 100."),
            "min_value": _("A rating is a number from 0 to 100."),
            "max_value": _("A rating is a number from 0 to 100."),
        },
    )
    only_empty = forms.BooleanField(label=_("Only members without an outcome yet"), required=False)

    def __init__(self, *args, **kwargs):
        from assessments.models import YearEndAssessment

        super().__init__(*args, prefix="all", **kwargs)
        self.fields["evaluation"].choices = [("", "---------"), *YearEndAssessment.Evaluation.choices]

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("evaluation") and cleaned.get("rating") is None:
            raise forms.ValidationError(_("Choose an outcome or a rating to apply to every member."))
        return cleaned

    def apply(self, rows) -> int:
        """Set the chosen values on the (unsaved) rows; return how many rows changed."""
        evaluation, rating = self.cleaned_data["evaluation"], self.cleaned_data["rating"]
        changed = 0
        for row in rows:
            if self.cleaned_data["only_empty"] and row.evaluation:
                continue
            before = (row.evaluation, row.branch_rating)
            if evaluation:
                row.evaluation = evaluation
            if rating is not None:
                row.branch_rating = rating
            changed += (row.evaluation, row.branch_rating) != before
        return changed
