from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from members.models import NotificationPreference


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class NotificationPreferenceForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["email", "sms", "quiet_start", "quiet_end"]
        widgets = {"quiet_start": TimeInput(), "quiet_end": TimeInput()}
        help_texts = {
            "sms": _("An SMS due during the quiet hours is sent when they end; it is never dropped."),
            "quiet_end": _("Set both times the same to receive SMS at any hour."),
        }


class IdListField(forms.Field):
    """A list of positive integer ids from repeated form fields (ids=1&ids=2)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        try:
            ids = [int(v) for v in value]
        except (TypeError, ValueError):
            raise ValidationError(_("Enter a list of whole numbers."), code="invalid") from None
        if any(pk <= 0 for pk in ids):
            raise ValidationError(_("Enter a list of whole numbers."), code="invalid")
        return ids


class MarkReadForm(forms.Form):
    """Mark the listed notifications read, or all of them when none is listed."""

    ids = IdListField(required=False)
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
