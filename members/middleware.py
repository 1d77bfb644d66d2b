import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.utils import translation
from django.utils.translation import gettext as _

LOGIN_AT = "session_login_at"
LAST_SEEN = "session_last_seen"
# Writing the session on every request would cost a query each time; a
# minute's precision is enough for an idle limit counted in hours.
_TOUCH_EVERY = 60


@receiver(user_logged_in)
def _stamp_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[LOGIN_AT] = now
        request.session[LAST_SEEN] = now


class SessionLifetimeMiddleware:
    """End a session after SESSION_IDLE_TIMEOUT idle seconds or SESSION_MAX_AGE in all."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            login_at = request.session.setdefault(LOGIN_AT, now)
            last_seen = request.session.setdefault(LAST_SEEN, now)
            idle = now - last_seen > settings.SESSION_IDLE_TIMEOUT
            too_old = now - login_at > settings.SESSION_MAX_AGE
            if idle or too_old:
                logout(request)
                messages.info(request, _("Your session has ended. Please log in again."))
                return redirect_to_login(request.get_full_path())
            if now - last_seen >= _TOUCH_EVERY:
                request.session[LAST_SEEN] = now
        return self.get_response(request)


class ChineseFirstLocaleMiddleware:
    """Activate the language chosen with the switcher, else Simplified Chinese.

    The browser's Accept-Language is ignored on purpose: bureau computers often
    run an English system, and the product speaks Chinese unless asked not to.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = dict(settings.LANGUAGES)
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        try:
            response = self.get_response(request)
        finally:
            # The thread serves other requests (and tests) next.
            translation.deactivate()
        response.headers.setdefault("Content-Language", language)
        return response
