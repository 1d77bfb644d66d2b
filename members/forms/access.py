from django import forms
from django.utils.translation import gettext_lazy as _

from members.forms.members import DateInput
from members.models import IdentityAccess


class AccessLogFilterForm(forms.Form):
    viewer = forms.CharField(label=_("Viewer (username)"), required=False, max_length=150)
    member = forms.CharField(label=_("Member"), required=False, max_length=50)
    field = forms.ChoiceField(
        label=_("Field"), required=False, choices=[("", _("All fields")), *IdentityAccess.Field.choices]
    )
    since = forms.DateField(label=_("From"), required=False, widget=DateInput())
    until = forms.DateField(label=_("Until"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs["class"] = "form-select" if name == "field" else "form-control"
