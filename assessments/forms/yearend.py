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
