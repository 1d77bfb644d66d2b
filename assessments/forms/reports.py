from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.models import CheckupReport
from branches.forms.fields import OrganisationChoiceField
from branches.models import Branch


class ReportForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=CheckupReport.Period.choices)
    month = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        help_text=_("For a quarter or a year, any month in it."),
    )
    branch = OrganisationChoiceField(
        label=_("Scope"),
        queryset=Branch.objects.active().order_by("path"),
        required=False,
        empty_label=_("Whole bureau"),
    )

    def __init__(self, *args, branches=None, whole_bureau=True, **kwargs):
        super().__init__(*args, **kwargs)
        # A scoped leadership or a 党总支's committee reports on the organisations of its own subtrees
        # only (an organisation with branches below: its whole subtree).
        if branches is not None:
            self.fields["branch"].queryset = self.fields["branch"].queryset.filter(pk__in=branches)
        if not whole_bureau:
            self.fields["branch"].required = True
            self.fields["branch"].empty_label = None
        for field in self.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            )
