"""The embedded default: SQLite and a file-based broker under var/, DEBUG on."""

from config.settings.base import *  # noqa: F403
from config.settings.base import VAR_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)

for folder in ("celery/queue", "celery/processed", "celery/control", "media"):
    (VAR_DIR / folder).mkdir(parents=True, exist_ok=True)

# Serve static files from the app folders without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
