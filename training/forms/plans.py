from decimal import Decimal

from django import forms
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from training.models import Lesson, MeetingRule, StudyPlanItem, StudyRequirement
from training.services.plans import REQUIREMENT_FIELDS


def _style(form):
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            continue
        widget.attrs.setdefault("class", "form-select" if isinstance(widget, forms.Select) else "form-control")


class PlanItemForm(forms.ModelForm):
    month = forms.TypedChoiceField(label=_("Month"), choices=list(MONTHS.items()), coerce=int)
    planned_hours = forms.DecimalField(
        label=_("Planned hours"),
        min_value=Decimal("0.5"),
        max_digits=4,
        decimal_places=1,
        initial=Decimal("1"),
    )

    class Meta:
        model = StudyPlanItem
        fields = ("month", "topic", "kind", "planned_hours")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


class StudyRequirementForm(forms.ModelForm):
    class Meta:
        model = StudyRequirement
        fields = REQUIREMENT_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)

    def clean(self):
        cleaned = super().clean()
        half, full = cleaned.get("half_day_minimum"), cleaned.get("full_day_minimum")
        if half is not None and full is not None and half > full:
            self.add_error("half_day_minimum", _("A half day cannot need more hours than a full day."))
        half, full = cleaned.get("half_day_hours"), cleaned.get("full_day_hours")
        if half is not None and full is not None and half > full:
            self.add_error("half_day_hours", _("A half day cannot earn more hours than a full day."))
        return cleaned


class MeetingRuleForm(forms.Form):
    kind = forms.ChoiceField(label=_("Meeting kind"), choices=Lesson.Kind.choices)
    period = forms.ChoiceField(label=_("Period"), choices=MeetingRule.Period.choices)
    times = forms.IntegerField(label=_("Times per period"), min_value=0, max_value=31, initial=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)
        self.fields["kind"].choices = [("", "---------"), *Lesson.Kind.choices]
        self.fields["period"].choices = [("", "---------"), *MeetingRule.Period.choices]


class BaseMeetingRuleFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove")
            form.fields["DELETE"].widget.attrs["class"] = "form-check-input"

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        seen = set()
        for form in self.kept_forms():
            kind = form.cleaned_data["kind"]
            if kind in seen:
                form.add_error("kind", _("Each meeting kind may have only one rule."))
            seen.add(kind)
        if not seen:
            raise forms.ValidationError(_("Keep at least one meeting rule."), code="no_rules")

    def kept_forms(self):
        """Return the filled-in forms not marked for deletion."""
        return [
            form
            for form in self.forms
            if form.cleaned_data and not (self.can_delete and self._should_delete_form(form))
        ]

    def rows(self) -> list[dict]:
        return [{name: form.cleaned_data[name] for name in ("kind", "period", "times")} for form in self.kept_forms()]


MeetingRuleFormSet = forms.formset_factory(
    MeetingRuleForm,
    formset=BaseMeetingRuleFormSet,
    extra=1,
    can_delete=True,
    max_num=len(Lesson.Kind.choices),
)
