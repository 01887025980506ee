#!/usr/bin/env bash
# Installs what the project needs on a Debian machine: system packages (CJK fonts,
# Pango and HarfBuzz subsetting for WeasyPrint, poppler for looking at PDFs) and
# a virtualenv in .venv with the package and its test tools. Safe to re-run.
# With --browser it also installs Debian's Chromium, which the browser tests drive.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils)
# Debian's own Python 3.11 is built with profile-guided optimisation: a PDF report renders
# about a tenth faster on it than on a plain source build (benchmarks/reports.py). Use it
# unless PYTHON names another interpreter.
python="${PYTHON:-}"
if [ -z "$python" ]; then
  if [ -x /usr/bin/python3.11 ]; then
    python=/usr/bin/python3.11
    packages+=(python3.11-venv)
  else
    python=python3
  fi
fi
if [ "${1:-}" = "--browser" ]; then
  packages+=(chromium)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
# Reinstall only when the dependency list changed.
stamp=.venv/.pyproject.sha256
if ! sha256sum --status -c "$stamp" 2>/dev/null; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e ".[test]"
  sha256sum pyproject.toml > "$stamp"
fi
# The compiled translations are built here, not kept in git.
.venv/bin/pybabel compile -d diagnosis/translations >/dev/null 2>&1
