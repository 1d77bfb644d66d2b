#!/usr/bin/env bash
# Start the web server, a Celery worker and the scheduler on the embedded
# default; Ctrl-C (or any one of them exiting) stops all three.
set -u
cd "$(dirname "$0")/.."
PY=.venv/bin/python
CELERY=.venv/bin/celery
mkdir -p var/celery/queue var/celery/processed var/celery/control

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
}
trap stop INT TERM EXIT

$CELERY -A config worker -Q default,reminders,reports --concurrency 2 --loglevel INFO &
pids+=($!)
$CELERY -A config beat --loglevel INFO --schedule var/celerybeat-schedule &
pids+=($!)
$PY manage.py runserver 127.0.0.1:${PORT:-8000} &
pids+=($!)
echo "Serving on http://127.0.0.1:${PORT:-8000}/ — Ctrl-C stops the web server, worker and scheduler."
wait -n
