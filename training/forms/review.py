"""The filters of the review queue, limited to the reviewer's own branches."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from members.models import Member
from training.models import Assignment, StudyNote


def _select():
    return forms.Select(attrs={"class": "form-select form-select-sm"})


class ReviewQueueFilter(django_filters.FilterSet):
    member = django_filters.ModelChoiceFilter(label=_("Member"), queryset=Member.objects.none(), widget=_select())
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=StudyNote.Kind.choices, empty_label=_("All kinds"), widget=_select()
    )
    assignment = django_filters.ModelChoiceFilter(
        label=_("Assignment"), queryset=Assignment.objects.none(), widget=_select()
    )

    class Meta:
        model = StudyNote
        fields = ["member", "kind", "assignment"]

    def __init__(self, data=None, queryset=None, *, branch_ids, **kwargs):
        super().__init__(data, queryset, **kwargs)
        # The choices are the reviewer's branches only, so an id from another
        # branch fails validation instead of filtering (or naming anyone).
        members = self.filters["member"]
        members.queryset = Member.objects.in_branches(branch_ids).only("pk", "full_name").order_by("name_pinyin", "pk")
        members.extra["empty_label"] = _("All members")
        assignments = self.filters["assignment"]
        assignments.queryset = (
            Assignment.objects.filter(branch_id__in=branch_ids).only("pk", "title").order_by("-due_on", "-pk")
        )
        assignments.extra["empty_label"] = _("All assignments")
