"""A database or broker outage answers 503 with a Chinese "temporarily unavailable" page, in the site layout.

The page is rendered without a request context: the context processors
and the session read the database, which is what is down.
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from kombu.exceptions import OperationalError as BrokerOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
OUTAGE_ERRORS = (OperationalError, InterfaceError, BrokerOperationalError, RedisConnectionError, RedisTimeoutError)
RETRY_AFTER_SECONDS = 30


def is_outage(exc: BaseException | None) -> bool:
    return isinstance(exc, OUTAGE_ERRORS)


def outage_response() -> HttpResponse:
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class OutageMiddleware:
    """Turn a view's database or broker error into the 503 page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_outage(exception):
            return None
        logger.error("Service unavailable at %s: %s: %s", request.path, type(exception).__name__, exception)
        return outage_response()


def server_error_or_outage(request):
    """handler500: errors raised outside the view (in a middleware, e.g. reading the session) land here."""
    if is_outage(sys.exc_info()[1]):
        return outage_response()
    from django.views.defaults import server_error

    return server_error(request)
