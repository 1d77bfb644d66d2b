from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.models import RectificationItem
from assessments.selectors.supervision import STATUS_DONE, STATUS_OVERDUE, STATUS_PENDING
from branches.forms.fields import OrganisationChoiceField
from branches.models import Branch

MAX_ITEMS_PER_VISIT = 50
FIRST_YEAR, LAST_YEAR = 2000, 2100


def _style(form):
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            continue
        widget.attrs.setdefault("class", "form-select" if isinstance(widget, forms.Select) else "form-control")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class VisitFilterForm(forms.Form):
    STATUS_CHOICES = [
        ("", _("Any state")),
        (STATUS_PENDING, _("Rectification under way")),
        (STATUS_OVERDUE, _("Overdue items")),
        (STATUS_DONE, _("All rectified")),
    ]

    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False, empty_value=None)
    branch = OrganisationChoiceField(
        label=_("Branch"), queryset=Branch.objects.none(), required=False, empty_label=_("All branches")
    )
    status = forms.ChoiceField(label=_("Rectification"), choices=STATUS_CHOICES, required=False)

    def __init__(self, *args, years=(), branches=None, **kwargs):
        super().__init__(*args, **kwargs)
        years = set(years)
        requested = str(self.data.get("year", "")) if self.is_bound else ""
        if requested.isdigit() and FIRST_YEAR <= int(requested) <= LAST_YEAR:
            years.add(int(requested))  # a link for a year without visits shows an empty list, not every year
        self.fields["year"].choices = [("", _("All years")), *((year, year) for year in sorted(years, reverse=True))]
        if branches is not None:
            self.fields["branch"].queryset = branches
        _style(self)
        for field in self.fields.values():
            field.widget.attrs["class"] += " form-select-sm js-autosubmit"

    def filters(self) -> dict:
        """Return the valid filters; an invalid one is ignored rather than refused."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {
            "year": cleaned.get("year"),
            "branch": cleaned.get("branch"),
            "status": cleaned.get("status") or "",
        }


class VisitForm(forms.Form):
    branch = OrganisationChoiceField(label=_("Branch visited"), queryset=Branch.objects.none())
    visited_on = forms.DateField(label=_("Date of the visit"), widget=DateInput())
    inspectors = forms.CharField(
        label=_("Inspectors"), max_length=200, help_text=_("Names of the inspectors, separated by commas.")
    )
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, branches=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = (branches if branches is not None else Branch.objects).filter(is_active=True)
        _style(self)


class ItemForm(forms.Form):
    description = forms.CharField(label=_("What must be rectified"), widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.CharField(label=_("Responsible person"), max_length=100)
    deadline = forms.DateField(label=_("Deadline"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)

    def has_changed(self):
        # A row counts as soon as anything is typed in it, even when it was
        # shown pre-filled after "add a row": comparing with the initial
        # values would silently drop such a row.
        if not self.is_bound:
            return False
        return any(str(self.data.get(self.add_prefix(name), "")).strip() for name in self.fields)


class BaseItemFormSet(forms.BaseFormSet):
    def initial_form_count(self):
        # Every row may stay blank, including rows re-shown after "add a row".
        return 0

    def rows(self) -> list[dict]:
        """Return the filled-in rows, in order."""
        return [form.cleaned_data for form in self.forms if form.cleaned_data]


ItemFormSet = forms.formset_factory(
    ItemForm,
    formset=BaseItemFormSet,
    extra=3,
    max_num=MAX_ITEMS_PER_VISIT,
    validate_max=True,
)


class ItemUpdateForm(forms.Form):
    """Progress on one item; leadership may also change what it is, who owns it and its deadline."""

    LEADERSHIP_FIELDS = ("description", "owner", "deadline")

    description = forms.CharField(label=_("What must be rectified"), widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.CharField(label=_("Responsible person"), max_length=100)
    deadline = forms.DateField(label=_("Deadline"), widget=DateInput())
    status = forms.ChoiceField(label=_("Status"), choices=RectificationItem.Status.choices)
    completed_on = forms.DateField(
        label=_("Rectified on"),
        widget=DateInput(),
        required=False,
        help_text=_("Left empty when marked rectified, today is used."),
    )
    note = forms.CharField(label=_("Progress note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, item: RectificationItem, full: bool = False, **kwargs):
        kwargs.setdefault("prefix", f"item-{item.pk}")
        kwargs.setdefault(
            "initial",
            {name: getattr(item, name) for name in (*self.LEADERSHIP_FIELDS, "status", "completed_on", "note")},
        )
        super().__init__(*args, **kwargs)
        self.item = item
        self.full = full
        if not full:
            for name in self.LEADERSHIP_FIELDS:
                del self.fields[name]
        _style(self)


class EvidenceForm(forms.Form):
    file = forms.FileField(
        label=_("Evidence file"),
        help_text=_("PDF, Word, Excel, JPG or PNG, at most 20 MB."),
    )

    def __init__(self, *args, item: RectificationItem, **kwargs):
        kwargs.setdefault("prefix", f"evidence-{item.pk}")
        super().__init__(*args, **kwargs)
        self.item = item
        self.fields["file"].widget.attrs["accept"] = ".pdf,.doc,.docx,.xls,.xlsx,.jpg,.jpeg,.png"
        _style(self)
