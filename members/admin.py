from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from members.identity import mask_id_number, mask_phone
from members.models import IdentityAccess, LeadershipScope, Member, Membership, Post
from members.permissions import IDENTITY_PERMISSION
from members.sensitive import reveal_fields


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

    # The list is always masked; the change form shows full numbers only to
    # holders of the identity permission, and opening it is recorded in the
    # access log like any other page (members.sensitive). The admin instance
    # is shared by every request, so the choice is made per request.
    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET" and request.user.has_perm(IDENTITY_PERMISSION):
            member = self.get_object(request, object_id)
            if member is not None:
                reveal_fields(request.user, member, ["id_number", "phone"], where=request.path)
        return super().change_view(request, object_id, form_url, extra_context)

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


@admin.register(IdentityAccess)
class IdentityAccessAdmin(admin.ModelAdmin):
    list_display = ["at", "viewer_name", "member", "field", "where"]
    list_filter = ["field"]
    list_select_related = ["member"]
    search_fields = ["viewer_name", "member__full_name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(LeadershipScope)
class LeadershipScopeAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation"]
    search_fields = ["user__username", "organisation__name"]
    list_select_related = ["user", "organisation"]
    autocomplete_fields = ["user", "organisation"]
