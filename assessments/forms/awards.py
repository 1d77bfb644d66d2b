from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.models import BranchRating, RatingCriterion, StarCategory
from assessments.services.awards import RATED_BRANCH_KINDS
from branches.forms.fields import OrganisationChoiceField
from branches.models import Branch
from members.models import Member


def _style(form):
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif not isinstance(widget, forms.HiddenInput):
            widget.attrs.setdefault("class", "form-select" if isinstance(widget, forms.Select) else "form-control")


class BranchFilterForm(forms.Form):
    branch = OrganisationChoiceField(
        label=_("Branch"),
        queryset=Branch.objects.filter(kind__in=RATED_BRANCH_KINDS, is_active=True).order_by("sort_order", "code"),
        required=False,
        empty_label=_("All branches"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)
        self.fields["branch"].widget.attrs["class"] += " js-autosubmit"

    def selected_branch(self) -> Branch | None:
        return self.cleaned_data.get("branch") if self.is_valid() else None


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        if obj.work_unit:
            return _("%(name)s (%(unit)s)") % {"name": obj.full_name, "unit": obj.work_unit}
        return obj.full_name


class StarAwardForm(forms.Form):
    """Award one star to one active member of *branch*, chosen from that branch only."""

    branch = forms.IntegerField(widget=forms.HiddenInput)
    member = MemberChoiceField(label=_("Member"), queryset=Member.objects.none())
    category = forms.ModelChoiceField(
        label=_("Star"), queryset=StarCategory.objects.filter(is_active=True), empty_label=None
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("What the member did, in a sentence")}),
    )

    def __init__(self, *args, branch: Branch, categories: list[StarCategory] | None = None, **kwargs):
        kwargs.setdefault("initial", {})["branch"] = branch.pk
        kwargs.setdefault("auto_id", "award_%s")  # the branch filter on the same page owns id_branch
        super().__init__(*args, **kwargs)
        _style(self)
        if categories is not None:
            # Draw the select from the list the page already loaded.
            self.fields["category"].choices = [(c.pk, c.name) for c in categories if c.is_active]
        # Members of one branch only: a bureau-wide select would list thousands.
        self.fields["member"].queryset = Member.objects.in_branch(branch).active().order_by("name_pinyin", "pk")


class RatingForm(forms.Form):
    """One 0–100 score per criterion, the comment, and an optional override of the outcome."""

    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        required=False,
        choices=[("", _("As suggested by the scores")), *BranchRating.Outcome.choices],
        help_text=_("Leave as suggested unless there is a reason to differ; an override is recorded."),
    )

    def __init__(self, *args, criteria: list[RatingCriterion], **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            self.fields[self.field_name(criterion)] = forms.IntegerField(
                label=criterion.name, min_value=0, max_value=100
            )
        # Scores first, in the criteria's order.
        self.order_fields([self.field_name(c) for c in criteria])
        _style(self)

    @staticmethod
    def field_name(criterion: RatingCriterion) -> str:
        return f"score_{criterion.pk}"

    def score_fields(self):
        return [self[self.field_name(c)] for c in self.criteria]

    def scores(self) -> dict[int, int]:
        return {c.pk: self.cleaned_data[self.field_name(c)] for c in self.criteria}


# --- configuration ---------------------------------------------------------


class StarCategoryForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=_("Name"), max_length=30)
    sort_order = forms.IntegerField(label=_("Sort order"), min_value=0, max_value=32767, initial=0)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    fields_saved = ("id", "name", "sort_order", "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


class RatingCriterionForm(StarCategoryForm):
    group = forms.ChoiceField(label=_("Group"), choices=RatingCriterion.Group.choices)

    fields_saved = ("id", "name", "group", "sort_order", "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["id", "name", "group", "sort_order", "is_active"])


class BaseConfigFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        seen = set()
        for form in self.kept_forms():
            name = form.cleaned_data["name"].strip()
            if name in seen:
                form.add_error("name", _("Each name may be used only once."))
            seen.add(name)

    def kept_forms(self):
        """Return the existing rows and the filled-in new ones."""
        return [
            form for form in self.forms if form.cleaned_data and (form.cleaned_data.get("id") or form.has_changed())
        ]

    def rows(self) -> list[dict]:
        return [{name: form.cleaned_data.get(name) for name in form.fields_saved} for form in self.kept_forms()]


StarCategoryFormSet = forms.formset_factory(StarCategoryForm, formset=BaseConfigFormSet, extra=1, max_num=50)
RatingCriterionFormSet = forms.formset_factory(RatingCriterionForm, formset=BaseConfigFormSet, extra=1, max_num=50)
