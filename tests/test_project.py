"""Project hygiene that users notice: a complete English catalog, migrations that match the models."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "diagnosis/translations/en/LC_MESSAGES/messages.po"


def test_every_interface_text_has_an_english_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "--quiet", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-k", "N_", "-o", str(pot), "."], cwd=ROOT, check=True)
    with pot.open("rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    with PO.open("rb") as f:
        po = {m.id: m.string for m in read_po(f) if m.id}
    missing = sorted(i for i in wanted if not po.get(i))
    assert not missing, f"untranslated (run pybabel update and fill in {PO.name}): {missing}"
    with (PO.with_suffix(".mo")).open("rb") as f:
        mo = {m.id: m.string for m in read_mo(f) if m.id}
    assert {k: v for k, v in po.items() if v} == mo, "messages.mo is stale: run pybabel compile -d diagnosis/translations"


def test_migrations_match_the_models(app):
    from flask_migrate import check
    with app.app_context():
        check()  # raises when the models have changes no migration records



def test_every_foreign_key_column_leads_an_index():
    """Deleting a row (a closed firm's users and assessments) looks up the rows that refer to it: a foreign-key
    column without an index of its own makes that a full scan of the referring table per deleted row."""
    import sqlalchemy as sa

    from diagnosis import models  # noqa: F401  (the tables)
    from diagnosis.extensions import db

    missing = []
    for table in db.metadata.sorted_tables:
        leading = {tuple(c.name for c in ix.columns)[0] for ix in table.indexes}
        leading |= {next(iter(c.columns)).name for c in table.constraints
                    if isinstance(c, (sa.PrimaryKeyConstraint, sa.UniqueConstraint)) and c.columns}
        for fk in table.foreign_key_constraints:
            if fk.column_keys[0] not in leading:
                missing.append(f"{table.name}.{fk.column_keys[0]}")
    assert not missing, f"foreign keys without an index: {missing}"

def test_pure_packages_do_not_load_flask():
    """scoring, questionnaires and reports serve notebooks and batch jobs: no Flask, no database."""
    code = (
        "import sys, numpy as np, questionnaires, scoring, reports\n"
        "from questionnaires.synthetic import answer_sets\n"
        "inst = questionnaires.get('sme-digital')\n"
        "a = answer_sets(inst, 1, np.random.default_rng(1))[0]\n"
        "html = reports.firm_report_html(inst, scoring.score(inst, a).to_dict(), {'name': 'X'}, 'en', answers=a)\n"
        "assert 'Executive summary' in html\n"
        "print(sorted(m for m in ('flask', 'diagnosis', 'sqlalchemy') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_every_module_of_the_app_imports_on_its_own():
    """No import circle: each module imports from a clean start, whatever is imported first."""
    script = """
import importlib, pkgutil, sys
import diagnosis
names = [m.name for m in pkgutil.walk_packages(diagnosis.__path__, "diagnosis.") if ".migrations" not in m.name]
failed = []
for name in names:
    for loaded in [k for k in sys.modules if k == "diagnosis" or k.startswith("diagnosis.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed.append(f"{name}: {type(exc).__name__}: {exc}")
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""
    r = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_no_view_module_is_imported_outside_its_blueprint():
    """Views only route: services, other blueprints and the CLI never import a views module."""
    offenders = []
    for path in (ROOT / "diagnosis").rglob("*.py"):
        if path.name == "__init__.py" and path.parent.name == "diagnosis":
            continue  # the application factory registers the blueprints
        for line in path.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            if stripped.startswith("from ") and (".views import" in stripped or stripped.startswith("from .views")):
                offenders.append(f"{path.relative_to(ROOT)}: {stripped}")
    assert not offenders, offenders


# A python-format placeholder or escape: %(name)s, %s, %% - or a lone % that breaks formatting.
FORMAT_TOKEN = re.compile(r"%(?:\(\w+\))?[-#0 +]?\d*(?:\.\d+)?[sdifgeEr%]|%")


def test_translations_keep_every_placeholder_and_percent_escape():
    """Templates format every message (Jinja's newstyle gettext), so a msgstr whose placeholders or
    `%%` escapes differ from its msgid answers 500 in English (`同类前25%%` once read `Peer top 25%`)."""
    with PO.open("rb") as f:
        catalog = [m for m in read_po(f) if m.id and m.string]
    wrong = []
    for m in catalog:
        want, got = sorted(FORMAT_TOKEN.findall(m.id)), sorted(FORMAT_TOKEN.findall(m.string))
        if want != got:
            wrong.append(f"{m.id!r} -> {m.string!r}: {want} != {got}")
            continue
        names = {n: 1 for n in re.findall(r"%\((\w+)\)", m.id)}
        if _formats(m.id, names) and not _formats(m.string, names):
            wrong.append(f"{m.id!r} formats, {m.string!r} does not")
    assert not wrong, "\n".join(wrong)


def _formats(text: str, names: dict) -> bool:
    try:
        text % names
        return True
    except (TypeError, ValueError, KeyError):
        return False


def test_every_data_file_ships_in_the_wheel():
    """An installed wheel (not an editable install) holds only what package-data names: a data file
    left out is a reference figure or template that silently disappears in production."""
    import glob
    import tomllib

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    tracked = subprocess.run(["git", "ls-files", *declared], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    shipped = {f"{pkg}/{name}" for pkg, patterns in declared.items() for pattern in patterns
               for name in glob.glob(pattern, root_dir=ROOT / pkg, recursive=True)}
    missing = [f for f in tracked if not f.endswith((".py", ".md")) and f not in shipped]
    assert not missing, f"add these to [tool.setuptools.package-data] in pyproject.toml: {missing}"


def test_postgresql_sessions_run_without_jit(app):
    """On PostgreSQL the app's connections turn JIT off: it compiled the figures' queries for seconds
    (their correlated subqueries look costly to the planner) although they read a few rows."""
    import pytest
    import sqlalchemy as sa

    from diagnosis.extensions import db
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("a PostgreSQL setting")
        assert db.session.execute(sa.text("SHOW jit")).scalar() == "off"
