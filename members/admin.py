from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from members.identity import mask_id_number, mask_phone
from members.models import Member, Membership, Post
from members.permissions import IDENTITY_PERMISSION


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["branch"]


class PostInline(admin.TabularInline):
    model = Post
    extra = 0
    autocomplete_fields = ["branch"]


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["full_name", "branch", "gender", "masked_id_number", "masked_phone", "status"]
    list_filter = ["status", "gender", "branch"]
    search_fields = ["full_name", "name_initials", "name_pinyin"]
    list_select_related = ["branch", "user"]
    autocomplete_fields = ["branch", "user"]
    readonly_fields = ["name_pinyin", "name_initials", "created_at", "updated_at"]
    inlines = [MembershipInline, PostInline]

    @admin.display(description=_("national ID number"))
    def masked_id_number(self, obj):
        return mask_id_number(obj.id_number)

    @admin.display(description=_("mobile phone"))
    def masked_phone(self, obj):
        return mask_phone(obj.phone)

    # The admin instance is shared by every request, so the choice between
    # full and masked columns is made per request, never stored on self.
    def get_list_display(self, request):
        if request.user.has_perm(IDENTITY_PERMISSION):
            return ["full_name", "branch", "gender", "id_number", "phone", "status"]
        return self.list_display

    def get_search_fields(self, request):
        fields = list(super().get_search_fields(request))
        if request.user.has_perm(IDENTITY_PERMISSION):
            fields.append("=id_number")
        return fields

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if not request.user.has_perm(IDENTITY_PERMISSION):
            fields = [f for f in fields if f not in ("id_number", "phone", "masked_id_number", "masked_phone")]
            fields += ["masked_id_number", "masked_phone"]
        return fields

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.has_perm(IDENTITY_PERMISSION):
            fields += ["masked_id_number", "masked_phone"]
        return fields


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["member", "branch", "start_on", "end_on", "note"]
    list_filter = ["branch"]
    search_fields = ["member__full_name", "branch__name"]
    list_select_related = ["member", "branch"]
    autocomplete_fields = ["member", "branch"]


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["member", "branch", "kind", "start_on", "end_on"]
    list_filter = ["kind", "branch"]
    search_fields = ["member__full_name", "branch__name"]
    list_select_related = ["member", "branch"]
    autocomplete_fields = ["member", "branch"]
