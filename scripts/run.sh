#!/usr/bin/env bash
# Sets up, migrates the database, loads the demo zone (once), starts a queue
# worker and serves the app. Defaults: SQLite and a SQLite-backed queue under
# instance/, http://127.0.0.1:8000. See README for settings.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/diagnosis db upgrade
.venv/bin/diagnosis demo
.venv/bin/diagnosis worker &
worker=$!
trap 'kill "$worker" 2>/dev/null || true' EXIT INT TERM
echo "Serving on http://${HOST:-127.0.0.1}:${PORT:-8000}"
.venv/bin/gunicorn --bind "${HOST:-127.0.0.1}:${PORT:-8000}" --workers "${WEB_CONCURRENCY:-2}" \
  --access-logfile - wsgi:app
