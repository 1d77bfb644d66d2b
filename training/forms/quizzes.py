from django import forms
from django.utils.translation import gettext_lazy as _

from branches.models import Branch
from training.forms.lessons import DateTimeInput
from training.models import BankQuestion, KnowledgeQuiz

BUREAU = "bureau"


def owner_choices(roles) -> list[tuple[str, str]]:
    """The banks a user may write to: the bureau's for leadership, and their branches'."""
    choices = [(BUREAU, _("The whole bureau"))] if roles.is_top_level else []
    branches = Branch.objects.all() if roles.is_top_level else Branch.objects.filter(pk__in=roles.scope_ids)
    choices += [(str(b.pk), b.name) for b in branches.order_by("name")]
    return choices


def owner_branch(value: str):
    return None if value == BUREAU else Branch.objects.get(pk=int(value))


class BankUploadForm(forms.Form):
    owner = forms.ChoiceField(label=_("Question bank of"))
    file = forms.FileField(label=_("Question sheet (.xlsx)"))

    def __init__(self, *args, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = owner_choices(roles)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Upload a .xlsx file."))
        return upload


class BankPickForm(forms.Form):
    questions = forms.ModelMultipleChoiceField(
        label=_("Questions from the bank"), queryset=BankQuestion.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, questions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["questions"].queryset = questions
        self.fields["questions"].label_from_instance = lambda q: f"[{q.topic or '—'}] {q.stem}"


class KnowledgeQuizForm(forms.ModelForm):
    owner = forms.ChoiceField(label=_("For"))
    questions = forms.ModelMultipleChoiceField(
        label=_("Questions from the bank"), queryset=BankQuestion.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = KnowledgeQuiz
        fields = ["title", "opens_at", "closes_at"]
        widgets = {"opens_at": DateTimeInput(), "closes_at": DateTimeInput()}

    def __init__(self, *args, roles, questions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = owner_choices(roles)
        self.fields["questions"].queryset = questions
        self.fields["questions"].label_from_instance = lambda q: f"[{q.topic or '—'}] {q.stem}"


def answers_from_post(data, questions) -> dict[int, list[str]]:
    """Read q<pk> fields (one or several option indexes) into {pk: [indexes]}."""
    return {q.pk: data.getlist(f"q{q.pk}") for q in questions}
