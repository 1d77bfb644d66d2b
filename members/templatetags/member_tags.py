from django import template

from members.identity import mask_id_number, mask_phone
from members.permissions import can_view_identity

register = template.Library()


@register.simple_tag(takes_context=True)
def id_number_for(context, member):
    """Show the ID number in full only to those allowed; masking happens here, on the server."""
    if can_view_identity(context["request"].user, member):
        return member.id_number or ""
    return mask_id_number(member.id_number)


@register.simple_tag(takes_context=True)
def phone_for(context, member):
    if can_view_identity(context["request"].user, member):
        return member.phone
    return mask_phone(member.phone)
