"""Carry a zone's old answers to a new instrument version through an explicit mapping file.

A dry run scores every firm's latest assessment on the old version again under the new
version (answers carried by the mapping, see questionnaires/upgrade.py) and lists each firm
whose level would change, and each firm that cannot be carried because an answer has no
one-to-one counterpart. It changes nothing. A real run writes that report to a file first;
only then does it give each carried firm a new assessment on the new version, submitted with
the carried answers. The old assessment keeps its level and the rules it was scored by.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
import yaml

import questionnaires
import scoring
from questionnaires.upgrade import Mapping, MappingInvalid, load_mapping
from scoring.progress import period_of

from .assessments import service
from .extensions import db
from .models import Assessment, Company, InstrumentVersion, Result


@dataclass
class Row:
    assessment_id: int
    company: str
    uscc: str
    old_level: int
    old_level_name: str
    new_level: int | None
    new_level_name: str
    unmapped: list[str]
    answers: dict | None = None
    not_applicable: dict | None = None

    @property
    def changes(self) -> bool:
        return self.new_level is not None and self.new_level != self.old_level


def plan(mapping_file: Path, zone_id: int | None = None) -> tuple[list[Row], Mapping]:
    """Every firm whose latest assessment was answered on the mapping's old version, scored under the new one."""
    head = yaml.safe_load(Path(mapping_file).read_text(encoding="utf-8")) or {}
    new = questionnaires.get(str(head.get("instrument")))
    q = (sa.select(Assessment, Company).join(Company, Company.id == Assessment.company_id)
         .join(Result, Result.assessment_id == Assessment.id)
         .join(InstrumentVersion, InstrumentVersion.id == Assessment.instrument_version_id)
         .where(Assessment.status == "submitted", Result.is_latest.is_(True),
                InstrumentVersion.instrument_id == new.id, InstrumentVersion.version == str(head.get("from"))))
    if zone_id is not None:
        q = q.where(Company.zone_id == zone_id)
    found = db.session.execute(q.order_by(Company.name, Assessment.id)).all()
    mappings: dict[int, Mapping] = {}
    rows: list[Row] = []
    mapping = None
    for a, c in found:
        old = service.instrument_of(a)
        if a.instrument_version_id not in mappings:  # each stored snapshot is checked against the file
            mappings[a.instrument_version_id] = load_mapping(mapping_file, old, new)
        mapping = mappings[a.instrument_version_id]
        carried, unmapped = mapping.carry(a.answer_dict())
        carried, problems = questionnaires.clean_answers(new, carried)
        unmapped += [p.question for p in problems]
        # Subdomains marked not applicable stay so where the new version has them.
        marked = {k: v for k, v in a.not_applicable_reasons().items() if new.indicator(k) is not None}
        rows.append(Row(a.id, c.name, c.uscc, a.result.level, old.level(a.result.level).name.zh, None, "",
                        sorted(set(unmapped)), None if unmapped else carried, marked))
    ready = [r for r in rows if r.answers is not None]
    if ready:
        batch = scoring.score_batch(new, [r.answers for r in ready], [r.not_applicable for r in ready])
        for i, r in enumerate(ready):
            r.new_level = int(batch.level[i])
            r.new_level_name = new.level(r.new_level).name.zh
    if mapping is None:  # nothing to carry; still check the file against the archived old version
        try:
            from questionnaires.upgrade import archived
            mapping = load_mapping(mapping_file, archived(new.id, str(head.get("from"))), new)
        except KeyError:
            mapping = Mapping(new.id, str(head.get("from")), new.version, {})
    return rows, mapping


def write_report(rows: list[Row], mapping: Mapping, path: Path) -> None:
    """Every firm considered, whether its level changes and why it could not be carried."""
    with Path(path).open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["assessment", "company", "uscc", f"level {mapping.old_version}", f"level {mapping.new_version}",
                    "changes", "not carried (questions to answer again)"])
        for r in rows:
            w.writerow([r.assessment_id, r.company, r.uscc, r.old_level_name, r.new_level_name or "",
                        "yes" if r.changes else "no", " ".join(r.unmapped)])


def apply(rows: list[Row]) -> list[int]:
    """A new assessment on the current version for each carried firm, submitted; returns their ids."""
    created = []
    for r in rows:
        if r.answers is None:
            continue
        old = db.session.get(Assessment, r.assessment_id)
        a = service.start(old.company_id, old.instrument_version.instrument_id, None)
        service.save_answers(a, r.answers, None, via="upgrade")
        kept = r.not_applicable or {}
        a.not_applicable = {k: v for k, v in (old.not_applicable or {}).items() if k in kept} or None
        db.session.flush()
        service.submit(a)
        # The answers date from the old submission: keep its date and quarter, so zone figures
        # do not count a re-evaluation as a new assessment this quarter.
        a.submitted_at = old.submitted_at
        a.result.period = period_of(old.submitted_at)
        db.session.flush()
        service.refresh_history(a.company_id, a.result.instrument_id)
        created.append(a.id)
    db.session.commit()
    return created


__all__ = ["MappingInvalid", "Row", "apply", "plan", "write_report"]
