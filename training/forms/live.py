from django import forms
from django.utils.translation import gettext_lazy as _

from training.models import OPTION_LETTERS, LiveItem


def letters_to_indexes(text: str) -> list[int]:
    """Turn "AC" or "A,C" into [0, 2]; unknown letters are left out."""
    return sorted({OPTION_LETTERS.index(ch) for ch in text.upper() if ch in OPTION_LETTERS})


class LiveItemForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=LiveItem.Kind.choices, initial=LiveItem.Kind.POLL)
    text = forms.CharField(label=_("Question"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    options = forms.CharField(
        label=_("Options, one per line"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Two to six options."),
    )
    correct = forms.CharField(label=_("Correct answer (letters, for a quiz question)"), max_length=6, required=False)
    explanation = forms.CharField(
        label=_("Explanation (解析)"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    multiple = forms.BooleanField(label=_("Several answers allowed"), required=False)
    anonymous = forms.BooleanField(label=_("Anonymous poll"), required=False)
    allow_change = forms.BooleanField(label=_("Members may change their answer while it is open"), required=False)
    time_limit = forms.IntegerField(label=_("Time limit (seconds)"), min_value=5, max_value=3600, required=False)

    def cleaned_item(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "text": data["text"],
            "options": data["options"].splitlines(),
            "correct": letters_to_indexes(data["correct"]),
            "explanation": data["explanation"],
            "multiple": data["multiple"],
            "anonymous": data["anonymous"],
            "allow_change": data["allow_change"],
            "time_limit": data["time_limit"],
        }


class WallQuestionForm(forms.Form):
    text = forms.CharField(label=_("Your question"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    anonymous = forms.BooleanField(label=_("Do not show my name to the audience"), required=False)


class PassMarkForm(forms.Form):
    make_up_pass_mark = forms.IntegerField(
        label=_("Make-up quiz pass mark (%)"),
        min_value=1,
        max_value=100,
        required=False,
        help_text=_("Leave empty to make up by a study note only."),
    )
