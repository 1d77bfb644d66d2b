"""SMS backends: a logging one by default, an HTTP gateway adapter by configuration."""

import json
import logging
import urllib.error
import urllib.request

from django.conf import settings
from django.utils.module_loading import import_string

from members.identity import mask_phone

logger = logging.getLogger("members.sms")


class SmsGatewayError(Exception):
    """A transient failure of the gateway: the send is retried with backoff."""


class SmsRejected(Exception):
    """The gateway refused the message for good (bad number, blocked content)."""


class LoggingBackend:
    """Write the message to the log; the default where no gateway is configured."""

    def send(self, *, phone: str, text: str, key: str) -> str:
        # The log is no place for a full phone number (members.sensitive).
        logger.info("SMS to %s [%s]: %s", mask_phone(phone), key, text)
        return f"log:{key}"


class HttpGatewayBackend:
    """POST {phone, text, key} as JSON to SMS_GATEWAY_URL with a bearer token.

    The key is the notification's dedup key, so a gateway that honours it
    drops a message it has already sent.
    """

    def send(self, *, phone: str, text: str, key: str) -> str:
        request = urllib.request.Request(
            settings.SMS_GATEWAY_URL,
            data=json.dumps({"phone": phone, "text": text, "key": key}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {settings.SMS_API_KEY}"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=settings.SMS_GATEWAY_TIMEOUT) as response:
                body = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            if 400 <= exc.code < 500 and exc.code != 429:
                raise SmsRejected(f"gateway refused: HTTP {exc.code}") from exc
            raise SmsGatewayError(f"gateway error: HTTP {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise SmsGatewayError(f"gateway unreachable: {exc}") from exc
        return str(body.get("id", ""))


def sms_backend():
    return import_string(settings.SMS_BACKEND)()
