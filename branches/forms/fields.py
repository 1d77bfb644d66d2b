"""Choice fields that tell apart organisations of the same name (every bureau may have its 第一党支部)."""

from collections import Counter

from django import forms
from django.forms.models import ModelChoiceIterator

from branches.models import path_labels


def distinct_labels(organisations) -> dict[int, str]:
    """Each organisation's bare name, or its full path when another one of *organisations* bears the same name.

    One query when some name repeats (path_labels), none otherwise.
    """
    organisations = list(organisations)
    repeated = {name for name, n in Counter(o.name for o in organisations).items() if n > 1}
    labels = {o.pk: o.name for o in organisations}
    labels.update(path_labels(o for o in organisations if o.name in repeated) if repeated else {})
    return labels


class _DistinctIterator(ModelChoiceIterator):
    # The labels need every choice at once, so the queryset is read before the first label.
    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        organisations = list(self.queryset)
        self.field.path_labels = distinct_labels(organisations)
        for organisation in organisations:
            yield self.choice(organisation)


class _DistinctLabels:
    iterator = _DistinctIterator
    path_labels: dict[int, str] = {}

    def label_from_instance(self, obj):
        return self.path_labels.get(obj.pk, obj.name)


class OrganisationChoiceField(_DistinctLabels, forms.ModelChoiceField):
    """A select of organisations; names that repeat among the choices show their full path."""


class OrganisationMultipleChoiceField(_DistinctLabels, forms.ModelMultipleChoiceField):
    """Several organisations; names that repeat among the choices show their full path."""
