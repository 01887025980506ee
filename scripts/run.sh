#!/usr/bin/env bash
# Sets up, migrates the database, loads the demo zone (once) and serves the app.
# Defaults: SQLite under instance/, http://127.0.0.1:8000. See README for settings.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/diagnosis db upgrade
.venv/bin/diagnosis demo
echo "Serving on http://${HOST:-127.0.0.1}:${PORT:-8000}"
exec .venv/bin/gunicorn --bind "${HOST:-127.0.0.1}:${PORT:-8000}" --workers "${WEB_CONCURRENCY:-2}" \
  --access-logfile - wsgi:app
