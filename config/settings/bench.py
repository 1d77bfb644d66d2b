"""Benchmarks (make bench): production-like, over plain HTTP on loopback, with one extra page.

DEBUG is off and passwords use the production hasher, as in production;
unlike production, no HTTPS redirect or secure cookies (gunicorn listens on
127.0.0.1 without TLS), static files need no collectstatic, and
bench.urls adds a trivial page that the HTTP scenario uses as its floor.
"""

from config.settings.base import *  # noqa: F403
from config.settings.base import VAR_DIR, env

DEBUG = False
ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
# A manifest would need collectstatic first; the benchmarks fetch no static files.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Ten thousand "SMS to …" lines would time the log, not the sweep.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
}
# Serve static files from the app folders, as in tests: no collectstatic.
WHITENOISE_USE_FINDERS = True
STATIC_ROOT = VAR_DIR / "bench" / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
