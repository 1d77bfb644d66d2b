from django.contrib import admin

from branches.models import Branch, Venue


class VenueInline(admin.TabularInline):
    model = Venue
    extra = 0


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "parent", "is_active", "sort_order"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "code", "units_served"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    inlines = [VenueInline]


@admin.register(Venue)
class VenueAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "capacity", "has_projector", "has_network", "has_video_link", "is_shareable"]
    list_filter = ["is_shareable", "has_projector", "has_video_link", "owner"]
    search_fields = ["name", "address", "owner__name"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner"]
