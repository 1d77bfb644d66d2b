"""Settings for pytest: PostgreSQL when DATABASE_URL is set, SQLite otherwise."""

from config.settings.base import *  # noqa: F403
from config.settings.base import VAR_DIR, env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "test-media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Serve static files from the app folders without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Unit tests do not publish to the shared broker (a worker of a parallel
# integration test could take the message); they read the outbox rows. The
# integration tests turn the kick on.
OUTBOX_KICK = env.bool("OUTBOX_KICK", default=False)

# Small batches, so that tests with a few hundred notifications run several
# delivery batches (a crash lands between batches as well as inside one).
NOTIFICATION_BATCH_SIZE = env.int("NOTIFICATION_BATCH_SIZE", default=50)
