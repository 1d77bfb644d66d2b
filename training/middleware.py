"""Answer a phone's poll of the live session from the cache, before sessions and logins are loaded."""

import re

from django.http import HttpResponse

from training.selectors.live import live_version

# training:live_phone_items and training:live_phone_wall (tests check the two agree).
POLL_PATH = re.compile(r"^/training/lessons/(?P<lesson>\d+)/live/(?P<area>items|wall)/$")


class LivePollMiddleware:
    """A poll that names the version it already shows gets 204 from one cache read.

    A 204 carries nothing: the version is an opaque stamp the phone got from
    a page it was allowed to see. Any other poll goes on to the view, which
    checks the session and renders the fragment. Placed before the session
    middleware, so 500 phones polling every 2 s cost no database query.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "GET":
            version = request.GET.get("v")
            match = POLL_PATH.match(request.path_info) if version else None
            if match and version == str(live_version(int(match["lesson"]), match["area"])):
                return HttpResponse(status=204)
        return self.get_response(request)
