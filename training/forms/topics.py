from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from training.forms.quizzes import owner_choices
from training.models import Lesson, StudyPlanItem, TopicProposal, TopicSurvey


class TopicSurveyForm(forms.ModelForm):
    owner = forms.ChoiceField(label=_("For"))

    class Meta:
        model = TopicSurvey
        fields = ["title", "year", "closes_on"]
        widgets = {"closes_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = owner_choices(roles)


class TopicProposalForm(forms.ModelForm):
    class Meta:
        model = TopicProposal
        fields = ["title", "reason"]
        widgets = {"reason": forms.Textarea(attrs={"rows": 2})}


class TopicLinkForm(forms.Form):
    plan_item = forms.ModelChoiceField(label=_("Plan item"), queryset=StudyPlanItem.objects.none(), required=False)
    lesson = forms.ModelChoiceField(label=_("Lesson"), queryset=Lesson.objects.none(), required=False)

    def __init__(self, *args, plan_items, lessons, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan_item"].queryset = plan_items
        self.fields["plan_item"].label_from_instance = lambda i: " · ".join(
            [i.plan.branch.name, gettext("Month %(month)s") % {"month": i.month}, i.topic]
        )
        self.fields["lesson"].queryset = lessons
        self.fields["lesson"].label_from_instance = lambda x: f"{x.start:%Y-%m-%d} · {x.title}"
