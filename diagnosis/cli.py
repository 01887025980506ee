"""The `diagnosis` command: Flask's commands (run, db, shell) plus the project's own."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import yaml
from flask.cli import FlaskGroup, with_appcontext

import questionnaires
import scoring


def _create_app():
    from . import create_app
    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def main():
    """Enterprise digital-transformation diagnosis toolkit."""


@main.command()
@click.option("--firms", default=300, show_default=True, help="Number of synthetic firms to create.")
@click.option("--seed", "seed_value", default=2026, show_default=True, help="Random seed, for repeatable data.")
@with_appcontext
def demo(firms: int, seed_value: int):
    """Seed a demo zone with a user for each role and synthetic firms."""
    from .demo import DEMO_INVITE, DEMO_PASSWORD, seed
    out = seed(firms, seed_value)
    if not out["created"]:
        click.echo("Demo data is already present; nothing changed.")
        return
    click.echo(f"Created {out['zone']} with {out['firms']} firms")
    for instrument_id, counts in out["levels"].items():
        click.echo(f"  {instrument_id}: {sum(counts)} submitted, firms per level from the lowest: {counts}")
    if out.get("review"):
        click.echo(f"  providers: {', '.join(out['review']['providers'])}; review states: {out['review']['states']}; "
                   f"sample seed {out['review']['sample']['seed']}, {out['review']['sample']['drawn']} drawn")
    click.echo(f"Invitation code for new firms: {DEMO_INVITE}")
    for role, email in out["users"].items():
        click.echo(f"  {role:<11} {email}  password: {DEMO_PASSWORD}")


@main.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(["consultant", "zone_admin"]), required=True)
@click.option("--zone-invite", required=True, help="The invitation code of the user's zone.")
@click.password_option()
@with_appcontext
def create_user(email: str, name: str, role: str, zone_invite: str, password: str):
    """Create a consultant or zone administrator account."""
    import sqlalchemy as sa

    from .extensions import db
    from .models import User, Zone
    zone = db.session.scalar(sa.select(Zone).where(Zone.invite_code == zone_invite))
    if zone is None:
        raise click.UsageError(f"no zone has the invitation code {zone_invite!r}")
    user = User(email=email.strip().lower(), name=name, role=role, zone_id=zone.id)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"Created {role} {user.email}")


@main.command("deactivate-user")
@click.option("--email", required=True)
@with_appcontext
def deactivate_user(email: str):
    """Deactivate an account: its sessions end, its API tokens are revoked, it cannot log in."""
    import sqlalchemy as sa

    from .auth.service import deactivate
    from .extensions import db
    from .models import User
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.UsageError(f"no account has the address {email!r}")
    deactivate(user)
    db.session.commit()
    click.echo(f"Deactivated {user.email}")


@main.command("create-zone")
@click.option("--name", required=True)
@click.option("--invite", required=True, help="Invitation code firms of this zone register with.")
@with_appcontext
def create_zone(name: str, invite: str):
    """Create a zone."""
    from .extensions import db
    from .models import Zone
    db.session.add(Zone(name=name, invite_code=invite))
    db.session.commit()
    click.echo(f"Created zone {name}")


# --- instruments, no database needed ---------------------------------------------------


@main.group("questionnaires")
def questionnaires_group():
    """List, show and check questionnaire instruments."""


@questionnaires_group.command("list")
def q_list():
    for inst in questionnaires.available().values():
        click.echo(f"{inst.id}\t{inst.version}\t{questionnaires.content_hash(inst)[:12]}\t{inst.title.zh}")


@questionnaires_group.command("show")
@click.argument("instrument_id")
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="text", show_default=True)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
def q_show(instrument_id: str, fmt: str, lang: str):
    """Print an instrument: as JSON (the integrators' contract) or as a readable form."""
    inst = _instrument(instrument_id)
    if fmt == "json":
        data = json.loads(questionnaires.canonical_json(inst))
        data["content_hash"] = questionnaires.content_hash(inst)
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    from questionnaires.describe import paper_form
    click.echo(paper_form(inst, lang))


@questionnaires_group.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def q_check(paths: tuple[Path, ...]):
    """Validate instrument files (default: the shipped ones); exit 1 listing every error."""
    files = list(paths) or sorted(questionnaires.loader.INSTRUMENT_DIR.glob("*.yaml"))
    failed = False
    for path in files:
        try:
            inst = questionnaires.load_file(path)
        except questionnaires.InstrumentInvalid as exc:
            failed = True
            for err in exc.errors:
                click.echo(str(err), err=True)
        else:
            click.echo(f"{path}: ok ({inst.id} {inst.version}, {len(inst.questions)} questions)")
    if not paths:
        failed |= _check_variants_and_mappings()
    sys.exit(1 if failed else 0)


def _check_variants_and_mappings() -> bool:
    """The shipped variant overlays and version mappings: each must still apply. True if any fails."""
    from questionnaires.upgrade import MAPPING_DIR, MappingInvalid, archived, load_mapping
    failed = False
    for iid in questionnaires.available():
        for name in questionnaires.variants(iid):
            try:
                v = questionnaires.variant(iid, name)
                click.echo(f"variant {iid}:{name}: ok ({v.version})")
            except (questionnaires.InstrumentInvalid, KeyError) as exc:
                failed = True
                click.echo(f"variant {iid}:{name}: {exc}", err=True)
    for path in sorted(MAPPING_DIR.glob("*.yaml")):
        head = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        try:
            load_mapping(path, archived(str(head.get("instrument")), str(head.get("from"))),
                         questionnaires.get(str(head.get("instrument"))))
            click.echo(f"{path.name}: ok")
        except (MappingInvalid, KeyError, questionnaires.InstrumentInvalid) as exc:
            failed = True
            click.echo(f"{path.name}: {exc}", err=True)
    # The review of facts two instruments ask pins the versions it read: a new version fails here
    # until the review is redone (questionnaires/shared-facts.yaml).
    from questionnaires.shared_facts import REVIEW_FILE, ReviewInvalid, load_review, shipped_instruments
    try:
        review = load_review(shipped_instruments())
        click.echo(f"{REVIEW_FILE.name}: ok ({len(review.pairs())} question pairs considered, none carried)")
    except ReviewInvalid as exc:
        failed = True
        for problem in exc.problems:
            click.echo(problem, err=True)
    return failed


def _instrument(instrument_id: str):
    try:
        return questionnaires.get(instrument_id)
    except KeyError as exc:
        raise click.ClickException(str(exc.args[0]))


def _answers(inst, answers_file) -> dict:
    """A validated answer set from a JSON file, or a clear error naming every bad answer."""
    clean, errors = questionnaires.clean_answers(inst, _read_json(answers_file, "answers"))
    if errors:
        raise click.ClickException("invalid answers:\n" + "\n".join(str(e) for e in errors))
    return clean


def _read_json(f, what: str):
    try:
        return json.load(f)
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"{what} file is not valid JSON: {exc}")


@main.command("score")
@click.option("--questionnaire", "instrument_id", required=True)
@click.option("--answers", "answers_file", type=click.File("r", encoding="utf-8"), required=True)
@click.option("--company", "company_file", type=click.File("r", encoding="utf-8"),
              help='JSON {"industry_division": "34", "employees": 120, "revenue": 8600, "zone_id": 1} for benchmarks.')
@with_appcontext
def score_cmd(instrument_id: str, answers_file, company_file):
    """Score one answer set (JSON) and print the result, benchmark and recommendations as JSON."""
    from scoring.benchmark import Firm, benchmark
    from scoring.recommend import gaps, recommend

    from .industries import division, size_class
    from .peers import min_peers, population
    inst = _instrument(instrument_id)
    clean = _answers(inst, answers_file)
    result = scoring.score(inst, clean).to_dict()
    bench = None
    if company_file is not None:
        company = _read_json(company_file, "company")
        code = str(company.get("industry_division", ""))
        if division(code) is None:
            raise click.ClickException("company: industry_division must be a GB/T 4754 division code such as \"34\"")
        try:
            size = company.get("size_class") or size_class(code, int(company["employees"]), float(company["revenue"]))
        except (KeyError, TypeError, ValueError):
            raise click.ClickException("company: give size_class, or employees and revenue (10k yuan)")
        zone = company.get("zone_id")
        dims = {d: v["percent"] for d, v in result["dimensions"].items()}
        bench = benchmark(population(instrument_id), Firm(code, size, zone), result["total"], dims, min_peers())
    from questionnaires.references import position, references
    result["benchmark"] = bench
    result["references"] = [p for p in (position(f, result["level"], clean) for f in references(instrument_id)) if p]
    result["gaps"] = gaps(inst, result, bench)
    result["next_level_path"] = scoring.next_level_path(inst, result)
    result["recommendations"] = recommend(inst, result, bench)
    click.echo(json.dumps(result, ensure_ascii=False, indent=2))


@main.command("report")
@click.option("--assessment", "assessment_id", type=int, help="A submitted assessment in the database.")
@click.option("--questionnaire", "instrument_id", help="With --answers and --company: no database needed.")
@click.option("--answers", "answers_file", type=click.File("r", encoding="utf-8"))
@click.option("--company", "company_file", type=click.File("r", encoding="utf-8"),
              help='JSON {"name": ..., "uscc": ..., "industry_division": "34", "size_class": "small", "zone": ...}')
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--pdf-variant", type=click.Choice(["pdf/a-3b"]), help="PDF/A-3b for archiving.")
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), required=True)
def report_cmd(assessment_id, instrument_id, answers_file, company_file, lang, pdf_variant, out):
    """Write a firm's PDF diagnosis report."""
    from reports import firm_report_html
    from reports.render import html_to_pdf
    if assessment_id is not None:
        from .extensions import db
        from .models import Assessment
        from .reporting import render_report
        a = db.session.get(Assessment, assessment_id)
        if a is None or a.result is None:
            raise click.ClickException(f"no submitted assessment {assessment_id}")
        pdf = render_report(a, lang, pdf_variant)
    elif instrument_id and answers_file and company_file:
        inst = _instrument(instrument_id)
        clean = _answers(inst, answers_file)
        company = _read_json(company_file, "company")
        if not isinstance(company, dict) or not company.get("name"):
            raise click.ClickException("company: a JSON object with at least a name")
        from .industries import industry_label
        company.setdefault("industry", industry_label(str(company.get("industry_division", "")), lang))
        result = scoring.score(inst, clean).to_dict()
        pdf = html_to_pdf(firm_report_html(inst, result, company, lang, answers=clean), pdf_variant)
    else:
        raise click.UsageError("give --assessment ID, or --questionnaire, --answers and --company")
    Path(out).write_bytes(pdf)
    click.echo(f"wrote {out} ({len(pdf) // 1024} KiB)")


@main.command("worker")
@click.option("--workers", type=int, default=lambda: int(__import__("os").environ.get("QUEUE_WORKERS", 2)),
              show_default="QUEUE_WORKERS or 2")
def worker_cmd(workers: int):
    """Run the task-queue worker (report batches) until stopped.

    Worker processes, not threads: rendering a PDF is Python work that holds the
    GIL, so only processes put a second core to use on one batch."""
    from huey.consumer import Consumer

    from .batches import service  # registers the tasks
    from .extensions import db
    from .plans import tasks as plan_tasks  # noqa: F401  (registers the daily plan reminders)
    from .programmes import tasks  # noqa: F401  (registers the periodic reminder round)
    from .queue import huey
    # Batches orphaned by a crash of every worker (their tasks lost mid-run) go on now.
    n = service.reap()
    if n:
        click.echo(f"Recovered {n} report batch steps whose worker had died")
    db.session.remove()
    db.engine.dispose()  # no connection may cross the fork into the workers
    Consumer(huey, workers=workers, worker_type="process").run()


@main.command("rescore")
@click.option("--zone", "zone_id", type=int, help="Only assessments of firms in this zone (id).")
@click.option("--mapping", "mapping_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Re-evaluate old answers under the current version through this mapping file "
                   "(questionnaires/mappings/ID.FROM.TO.yaml).")
@click.option("--dry-run", is_flag=True, help="With --mapping: print the firms whose level would change; change nothing.")
@click.option("--report", "report_file", type=click.Path(dir_okay=False, path_type=Path),
              help="With --mapping: write every firm considered to this CSV file (required for a real run, written first).")
@with_appcontext
def rescore_cmd(zone_id: int | None, mapping_file: Path | None, dry_run: bool, report_file: Path | None):
    """Score every submitted assessment again and refresh its benchmark; or, with --mapping,
    carry old answers to the current version of an instrument."""
    if mapping_file is not None:
        _upgrade(mapping_file, zone_id, dry_run, report_file)
        return
    if dry_run or report_file:
        raise click.UsageError("--dry-run and --report go with --mapping.")
    from .rescore import rescore
    counts = rescore(zone_id)
    for instrument_id, n in sorted(counts.items()):
        click.echo(f"{instrument_id}: {n} assessments rescored")
    if not counts:
        click.echo("No submitted assessments matched.")


def _upgrade(mapping_file: Path, zone_id: int | None, dry_run: bool, report_file: Path | None) -> None:
    from . import upgrade
    if not dry_run and report_file is None:
        raise click.UsageError("A real run needs --report FILE: the report is written before anything changes.")
    try:
        rows, mapping = upgrade.plan(mapping_file, zone_id)
    except (upgrade.MappingInvalid, KeyError) as e:
        raise click.ClickException(str(e)) from None
    changing = [r for r in rows if r.changes]
    stuck = [r for r in rows if r.unmapped]
    click.echo(f"{mapping.instrument} {mapping.old_version} -> {mapping.new_version}: {len(rows)} firms, "
               f"{len(changing)} would change level, {len(stuck)} cannot be carried")
    for r in changing:
        click.echo(f"  {r.company} ({r.uscc}): {r.old_level_name} -> {r.new_level_name}")
    for r in stuck:
        click.echo(f"  {r.company} ({r.uscc}): not carried, to answer again: {', '.join(r.unmapped)}")
    if report_file is not None:
        upgrade.write_report(rows, mapping, report_file)
        click.echo(f"Report written to {report_file}")
    if dry_run:
        click.echo("Dry run: nothing was changed.")
        return
    created = upgrade.apply(rows)
    click.echo(f"{len(created)} new assessments on version {mapping.new_version}; the old ones keep their levels.")


if __name__ == "__main__":
    main()


@main.command("backup")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="File to write the copy to.")
@with_appcontext
def backup_cmd(out: Path):
    """Copy the embedded SQLite database consistently, even while the app runs."""
    from .backup import backup
    try:
        n = backup(out)
    except ValueError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"Backed up {n} assessments to {out}")


@main.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the current database without asking.")
@with_appcontext
def restore_cmd(source: Path, yes: bool):
    """Replace the embedded SQLite database with a backup, then migrate it to this version."""
    from .backup import restore
    if not yes:
        click.confirm("This replaces every record of the current database. Continue?", abort=True)
    try:
        n = restore(source)
    except ValueError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"Restored {n} assessments from {source}")
