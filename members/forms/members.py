from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.forms.fields import OrganisationChoiceField
from branches.models import Branch
from members.identity import parse_id_number, validate_mobile_phone
from members.models import Member
from members.sensitive import masked, reveal_fields
from members.services.members import MEMBER_DATA_FIELDS


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class MemberFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("name or pinyin initials, e.g. zs")}),
    )
    branch = OrganisationChoiceField(label=_("Branch"), queryset=Branch.objects.none(), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), *Member.Status.choices],
    )

    def __init__(self, *args, branches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches
        self.fields["q"].widget.attrs["class"] = "form-control"
        for name in ("branch", "status"):
            self.fields[name].widget.attrs["class"] = "form-select"


class MemberForm(forms.ModelForm):
    class Meta:
        model = Member
        fields = MEMBER_DATA_FIELDS
        widgets = {
            "birth_date": DateInput(),
            "joined_party_on": DateInput(),
            "full_member_on": DateInput(),
        }

    def __init__(self, *args, viewer, where: str, **kwargs):
        super().__init__(*args, **kwargs)
        # The inputs never hold a full number the viewer may not see: they get
        # the masked value, and a masked value sent back unchanged keeps the
        # stored one (see clean_id_number and clean_phone).
        if self.instance.pk and not self.is_bound:
            self.initial.update(reveal_fields(viewer, self.instance, ["id_number", "phone"], where=where))
        for name in ("id_number", "phone"):
            self.fields[name].widget.attrs["autocomplete"] = "off"
        # Absent from a post that predates the field: keep the stored standing.
        self.fields["standing"].required = False

    def _unchanged_mask(self, name: str, value: str) -> bool:
        stored = getattr(self.instance, name) or ""
        return bool(self.instance.pk and stored and value and value == masked(self.instance, name))

    def clean_id_number(self):
        value = (self.cleaned_data.get("id_number") or "").strip().upper()
        if self._unchanged_mask("id_number", value):
            return self.instance.id_number
        if not value:
            return None
        parse_id_number(value)
        return value

    def clean_standing(self):
        return self.cleaned_data.get("standing") or self.instance.standing or Member.Standing.NORMAL

    def clean_phone(self):
        value = self.cleaned_data.get("phone", "").strip()
        if self._unchanged_mask("phone", value):
            return self.instance.phone
        validate_mobile_phone(value)
        return value

    def clean(self):
        cleaned = super().clean()
        id_number = cleaned.get("id_number")
        if id_number:
            birth, gender = parse_id_number(id_number)
            if cleaned.get("birth_date") and cleaned["birth_date"] != birth:
                self.add_error("birth_date", _("The date of birth does not match the ID number."))
            if cleaned.get("gender") and cleaned["gender"] != gender:
                self.add_error("gender", _("The gender does not match the ID number."))
        joined, full = cleaned.get("joined_party_on"), cleaned.get("full_member_on")
        if joined and full and full < joined:
            self.add_error("full_member_on", _("The full-membership date is before the date of joining the Party."))
        return cleaned


class MemberTransferForm(forms.Form):
    to_branch = OrganisationChoiceField(label=_("New branch"), queryset=Branch.objects.branches_only())
    on = forms.DateField(label=_("Transfer date"), widget=DateInput(), initial=timezone.localdate)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Roster file (.xlsx, .xls or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".xls", ".csv")):
            raise forms.ValidationError(_("Upload an Excel workbook (.xlsx or .xls) or a CSV file."))
        if upload.size > settings.ROSTER_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB.") % {"mb": settings.ROSTER_UPLOAD_MAX_BYTES // 2**20}
            )
        return upload
