"""Settings shared by every environment; values that differ come from the environment."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="insecure-dev-key-change-me-in-production-0123456789")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_htmx",
    "django_celery_beat",
    "csp",
    "axes",
    "core",
    "branches",
    "members",
    "training",
    "assessments",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A database or broker error becomes the 503 "temporarily unavailable" page.
    "core.outage.OutageMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before sessions: an unchanged live-session poll is answered from the cache.
    "training.middleware.LivePollMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "members.middleware.ChineseFirstLocaleMiddleware",
    # Before anything reads the body or the query: oversized bodies, NUL bytes.
    "core.middleware.RequestGuardMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "members.middleware.SessionLifetimeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks, so that it sees every authentication attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "members.context_processors.party_roles",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False  # services own their transactions
# Keep connections between requests (and between tasks, below): opening one
# costs more than most of our queries.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if "postgresql" in DATABASES["default"]["ENGINE"]:
    # A database that does not answer (network cut) fails a request, a task
    # or /healthz in seconds instead of hanging it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=5)
    )
    # No JIT compilation: our queries are many and short, and a plan whose estimated cost crosses
    # jit_above_cost (the dashboards' grouped reads at city scale) spent 25 ms compiling for 10 ms of work.
    # Random reads priced as on SSD or cached data (PostgreSQL's default, 4, prices a spinning disk):
    # a subtree's lessons are then looked up by key instead of hashing every lesson of the year
    # (a general branch at province scale: 24 ms → 3 ms).
    DATABASES["default"]["OPTIONS"].setdefault(
        "options", f"-c jit=off -c random_page_cost={env.float('DB_RANDOM_PAGE_COST', default=1.1)}"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The covering index for held lessons (training.Lesson, lesson_held_start) includes columns that only
# PostgreSQL keeps; on the embedded SQLite default it is a plain index, which is all a demo needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
# Shown on the login page and in its title, so that people know whose system
# they are signing in to.
ORGANISATION_NAME = env("ORGANISATION_NAME", default="云溪县交通运输局党组")
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (members.services.lockouts): a username is locked for 30
# minutes from the address that failed five times, and from every address
# only after fifty failures in all, when the member and the administrators
# are told. Five wrong passwords from afar cannot lock anyone out, and an
# office behind one NAT is not locked out by one person's typos.
LOGIN_FAILURES_PER_ADDRESS = 5
LOGIN_FAILURES_PER_USERNAME = 50
AXES_FAILURE_LIMIT = "members.services.lockouts.failure_limit"
AXES_CLIENT_IP_CALLABLE = "members.services.lockouts.client_ip"
# Reverse proxies in front of the app that append to X-Forwarded-For (0: none,
# the client is REMOTE_ADDR); production sets 1.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Sessions end after an idle time and, whatever the activity, after 12 hours.
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=2 * 60 * 60)
SESSION_MAX_AGE = env.int("SESSION_MAX_AGE", default=12 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_MAX_AGE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
# The access log of full ID and phone numbers (members.sensitive) is kept for
# three years, then purged every night (PIPL Art. 51; the Cybersecurity Law asks for six months at least).
IDENTITY_ACCESS_RETENTION_DAYS = env.int("IDENTITY_ACCESS_RETENTION_DAYS", default=3 * 365)
# Request bodies (core.middleware.RequestGuardMiddleware): refused on their
# declared length before they are read, capped when no length is declared.
# Pages that take a file accept their file limit (plus the form around it).
REQUEST_MAX_BYTES = 2 * 1024 * 1024
UPLOAD_MAX_BYTES = {
    "members:roster_import": 5 * 1024 * 1024,
    "online:hours_import": 5 * 1024 * 1024,
    "training:material_add": 20 * 1024 * 1024,
    "supervision:evidence_add": 20 * 1024 * 1024,
}
CSRF_FAILURE_VIEW = "config.views.csrf_failure"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
ROSTER_UPLOAD_MAX_BYTES = 5 * 1024 * 1024

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# No inline scripts or styles anywhere: every template is written for this.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="party-training@localhost")

# Notifications. SMS goes to the log unless a gateway is configured.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
USE_SMS_GATEWAY = env.bool("USE_SMS_GATEWAY", default=False)
SMS_BACKEND = "members.sms.HttpGatewayBackend" if USE_SMS_GATEWAY else "members.sms.LoggingBackend"
SMS_GATEWAY_URL = env("SMS_GATEWAY_URL", default="")
SMS_API_KEY = env("SMS_API_KEY", default="")
SMS_GATEWAY_TIMEOUT = env.int("SMS_GATEWAY_TIMEOUT", default=10)
# A notification still "sending" after this many seconds lost its worker.
NOTIFICATION_SENDING_TIMEOUT = env.int("NOTIFICATION_SENDING_TIMEOUT", default=15 * 60)
# One delivery task claims, sends and logs this many emails and SMS at once
# (a few queries per batch, none per message); the minute sweep hands at most
# NOTIFICATION_REQUEUE_LIMIT due ones to workers, in batches of that size.
NOTIFICATION_BATCH_SIZE = env.int("NOTIFICATION_BATCH_SIZE", default=200)
NOTIFICATION_REQUEUE_LIMIT = env.int("NOTIFICATION_REQUEUE_LIMIT", default=20_000)
# Absent without leave this many held lessons running: the committee is told.
ABSENCE_WARNING_STREAK = env.int("ABSENCE_WARNING_STREAK", default=2)

# The live session's state is read from the cache on every phone's poll.
# With CACHE_URL=redis://… every web worker shares it; without, each process
# keeps its own (one process in development) and the state is read again
# from the database after a change.
CACHE_URL = env("CACHE_URL", default="")
if CACHE_URL.startswith("redis://"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background work. With nothing set, kombu's filesystem transport lets a
# worker run beside the web server without Redis.
CELERY_FILESYSTEM_DIR = VAR_DIR / "celery"
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=env("REDIS_URL", default="filesystem://"))
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FILESYSTEM_DIR / "queue"),
        "data_folder_out": str(CELERY_FILESYSTEM_DIR / "queue"),
        "processed_folder": str(CELERY_FILESYSTEM_DIR / "processed"),
        "control_folder": str(CELERY_FILESYSTEM_DIR / "control"),
        "store_processed": False,
    }
else:
    # Above the longest task's hard limit, so Redis never redelivers a task
    # that is still running.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60 * 60}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "training.tasks.*": {"queue": "reminders"},
    "members.tasks.*": {"queue": "reminders"},
    "assessments.tasks.*": {"queue": "reports"},
}
# The figures ledger's recompute task, named here so that every app can queue it
# (members and training mark figures stale; training owns the ledger).
FIGURES_REFRESH_TASK = "training.tasks.refresh_figures"
CELERY_BEAT_SCHEDULER = "config.beat:SingleBeatScheduler"
# The outbox (core.outbox): every piece of background work is a row first.
# After the commit a kick publishes it with a short broker timeout; after a
# failure the kick stays quiet for OUTBOX_KICK_QUIET seconds, and the relay
# task sends what is left every OUTBOX_RELAY_SECONDS.
OUTBOX_KICK = env.bool("OUTBOX_KICK", default=True)
OUTBOX_KICK_TIMEOUT = env.float("OUTBOX_KICK_TIMEOUT", default=0.3)
OUTBOX_KICK_QUIET = env.float("OUTBOX_KICK_QUIET", default=5.0)
OUTBOX_RELAY_SECONDS = env.int("OUTBOX_RELAY_SECONDS", default=5)
OUTBOX_CLAIM_SECONDS = env.int("OUTBOX_CLAIM_SECONDS", default=60)
OUTBOX_KEEP_DAYS = env.int("OUTBOX_KEEP_DAYS", default=7)
# Long jobs hold a lease they renew while they work; one whose lease lapsed
# lost its worker and is taken up again (or failed after REPORT_MAX_ATTEMPTS).
REPORT_LEASE_SECONDS = env.int("REPORT_LEASE_SECONDS", default=30)
REPORT_START_SECONDS = env.int("REPORT_START_SECONDS", default=120)
REPORT_MAX_ATTEMPTS = env.int("REPORT_MAX_ATTEMPTS", default=3)
REPORT_SWEEP_SECONDS = env.int("REPORT_SWEEP_SECONDS", default=30)
# How often beat writes its heartbeat row, and how old a heartbeat may be
# before the status page calls the process down.
HEARTBEAT_SECONDS = env.int("HEARTBEAT_SECONDS", default=10)
HEARTBEAT_STALE_SECONDS = env.int("HEARTBEAT_STALE_SECONDS", default=60)
CELERY_BEAT_SCHEDULE = {
    # Every few seconds: publish background work the kick after commit could
    # not (broker down), and record that a worker is alive.
    "relay-outbox": {
        "task": "core.tasks.relay_outbox",
        "schedule": float(OUTBOX_RELAY_SECONDS),
        "options": {"expires": OUTBOX_RELAY_SECONDS},
    },
    # Every half minute: reports whose lease lapsed (dead worker) or that
    # never started are compiled again, or failed after too many tries.
    "sweep-reports": {
        "task": "assessments.tasks.sweep_checkup_reports",
        "schedule": float(REPORT_SWEEP_SECONDS),
        "options": {"expires": REPORT_SWEEP_SECONDS},
    },
    # Every minute: hand due emails and SMS (and any a dead worker left) to a worker.
    "requeue-notifications": {"task": "members.tasks.requeue_notifications", "schedule": 60.0},
    # Every night at 01:30: drop access-log rows older than IDENTITY_ACCESS_RETENTION_DAYS.
    "purge-identity-access-log": {
        "task": "members.tasks.purge_identity_access_log",
        "schedule": crontab(minute=30, hour=1),
    },
    # Every five minutes: lessons starting within 24 hours and within 1 hour.
    "lesson-reminders": {"task": "training.tasks.send_lesson_reminders", "schedule": 300.0},
    # Every day at 08:30: assignments due within three days, and overdue ones.
    "assignment-reminders": {
        "task": "training.tasks.send_assignment_reminders",
        "schedule": crontab(minute=30, hour=8),
    },
    # Every day at 08:00: the secretaries' digest.
    "secretary-digest": {"task": "assessments.tasks.send_secretary_digest", "schedule": crontab(minute=0, hour=8)},
    # Every day at 20:00: SMS for tomorrow's lesson when the in-app reminder is unread.
    "escalate-lesson-reminders": {
        "task": "training.tasks.escalate_lesson_reminders",
        "schedule": crontab(minute=0, hour=20),
    },
    # Every minute: recompute any figures a change marked stale whose own kick was lost.
    "refresh-figures": {"task": "training.tasks.refresh_figures", "schedule": 60.0},
    # Every day at 00:05: a new day moves the current year's reference day.
    "recompute-current-year": {"task": "training.tasks.recompute_current_year", "schedule": crontab(minute=5, hour=0)},
    # Every night at 02:00: recompute this year's and last year's figures from the raw records and repair differences.
    "reconcile-figures": {"task": "training.tasks.reconcile_figures", "schedule": crontab(minute=0, hour=2)},
    # At 03:00 on the first day of every month: compile last month's checkup
    # reports for the bureau and every branch.
    "compile-monthly-reports": {
        "task": "assessments.tasks.compile_monthly_reports",
        "schedule": crontab(minute=0, hour=3, day_of_month=1),
    },
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Celery's Django fix-up closes the database connection after every task
# unless told to reuse it.
CELERY_DB_REUSE_MAX = 1000

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
