from django import template

from members.sensitive import reveal

register = template.Library()


@register.simple_tag(takes_context=True)
def id_number_for(context, member):
    """Show the ID number in full only to those allowed; masking happens here, on the server."""
    request = context["request"]
    return reveal(request.user, member, "id_number", where=request.path)


@register.simple_tag(takes_context=True)
def phone_for(context, member):
    request = context["request"]
    return reveal(request.user, member, "phone", where=request.path)
