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
        organisations, _labels = self.field.choice_labels()
        for organisation in organisations:
            yield self.choice(organisation)


class _DistinctLabels:
    iterator = _DistinctIterator
    _read = None  # (the queryset read, its organisations, their labels)

    def choice_labels(self) -> tuple[list, dict[int, str]]:
        """The choices and their labels, read once per queryset: a list page labels its rows with them too."""
        if self._read is None or self._read[0] is not self.queryset:
            organisations = list(self.queryset)
            self._read = (self.queryset, organisations, distinct_labels(organisations))
        return self._read[1], self._read[2]

    def label_from_instance(self, obj):
        return self.choice_labels()[1].get(obj.pk, obj.name)


class OrganisationChoiceField(_DistinctLabels, forms.ModelChoiceField):
    """A select of organisations; names that repeat among the choices show their full path."""


class OrganisationMultipleChoiceField(_DistinctLabels, forms.ModelMultipleChoiceField):
    """Several organisations; names that repeat among the choices show their full path."""
