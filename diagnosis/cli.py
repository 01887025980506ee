"""The `diagnosis` command: Flask's commands (run, db, shell) plus the project's own."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
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
    try:
        inst = questionnaires.get(instrument_id)
    except KeyError as exc:
        raise click.ClickException(str(exc.args[0]))
    if fmt == "json":
        data = json.loads(questionnaires.canonical_json(inst))
        data["content_hash"] = questionnaires.content_hash(inst)
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"{inst.title.get(lang)}  ({inst.id} {inst.version})\n{inst.description.get(lang)}\n")
    number = 0
    for d in inst.dimensions:
        click.echo(f"== {d.title.get(lang)} ==")
        for ind in d.indicators:
            click.echo(f"-- {ind.title.get(lang)}")
            for q in ind.questions:
                number += 1
                cond = f"  [{q.show_if.model_dump(by_alias=True, exclude_none=True)}]" if q.show_if else ""
                click.echo(f"{number}. {q.text.get(lang)}{'' if q.required else ' (optional)'}{cond}")
                for o in q.options:
                    click.echo(f"   [ ] {o.text.get(lang)}")
                if q.type == "number":
                    click.echo(f"   ______ {q.unit or ''}  ({q.min:g}-{q.max:g})")
                elif q.type == "yesno":
                    click.echo("   [ ] yes   [ ] no")
                elif q.type == "text":
                    click.echo("   ____________________________")
        click.echo()


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
    sys.exit(1 if failed else 0)


@main.command("score")
@click.option("--questionnaire", "instrument_id", required=True)
@click.option("--answers", "answers_file", type=click.File("r", encoding="utf-8"), required=True)
def score_cmd(instrument_id: str, answers_file):
    """Score one answer set (JSON) and print the result as JSON."""
    try:
        inst = questionnaires.get(instrument_id)
    except KeyError as exc:
        raise click.ClickException(str(exc.args[0]))
    try:
        raw = json.load(answers_file)
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"answers file is not valid JSON: {exc}")
    clean, errors = questionnaires.clean_answers(inst, raw)
    if errors:
        raise click.ClickException("invalid answers:\n" + "\n".join(str(e) for e in errors))
    click.echo(json.dumps(scoring.score(inst, clean).to_dict(), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
