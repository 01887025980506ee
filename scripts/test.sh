#!/usr/bin/env bash
# Sets up and runs the whole test suite. With TEST_DATABASE_URL set (a PostgreSQL
# URL) the suite runs against that database; without it, on SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
.venv/bin/ruff check .
exec .venv/bin/pytest "$@"
