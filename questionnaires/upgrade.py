"""Carry answers from one version of an instrument to the next, by an explicit mapping file.

One mapping file per version pair (questionnaires/mappings/ID.FROM.TO.yaml), as a lens upgrade
does: each question of the new version names the old question it comes from and how the old
options map to the new ones. An old option without a one-to-one counterpart maps to `null`:
a firm that chose it cannot be carried over and must answer that question again. Nothing is
guessed: a question the mapping does not cover is not carried, unless `default: same` says
that unlisted questions keep their id and options (checked against both versions).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .shapes import Instrument

MAPPING_DIR = Path(__file__).parent / "mappings"


class MappingInvalid(ValueError):
    pass


@dataclass(frozen=True)
class QuestionMap:
    old: str                                   # the old question id
    options: dict[str, str | None] | None      # old option id -> new option id (None: no counterpart); None = same ids


@dataclass
class Mapping:
    instrument: str
    old_version: str
    new_version: str
    questions: dict[str, QuestionMap]          # by new question id
    note: str = ""

    def carry(self, answers: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """The answers under the new version, and the new question ids whose old answer has no counterpart."""
        out: dict[str, Any] = {}
        unmapped: list[str] = []
        for qid, qm in self.questions.items():
            if qm.old not in answers or answers[qm.old] is None:
                continue
            value = answers[qm.old]
            if qm.options is None:
                out[qid] = value
            elif isinstance(value, list):
                new = [qm.options.get(v) for v in value]
                if any(v is None for v in new):
                    unmapped.append(qid)
                else:
                    out[qid] = new
            else:
                new = qm.options.get(value)
                if new is None:
                    unmapped.append(qid)
                else:
                    out[qid] = new
        return out, unmapped


def archived(instrument_id: str, version: str) -> Instrument:
    """An earlier version as an earlier release shipped it (instruments/archive/)."""
    from .loader import INSTRUMENT_DIR, load_file
    path = INSTRUMENT_DIR / "archive" / f"{instrument_id}.{version}.yaml"
    if not path.is_file():
        raise KeyError(f"no archived version {version} of '{instrument_id}'")
    return load_file(path)


def mapping_path(instrument_id: str, old_version: str, new_version: str, directory: Path = MAPPING_DIR) -> Path:
    return Path(directory) / f"{instrument_id}.{old_version}.{new_version}.yaml"


def load_mapping(path: str | Path, old: Instrument, new: Instrument) -> Mapping:
    """Read a mapping file and check it against both versions; raise MappingInvalid listing every problem."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise MappingInvalid(f"{path}: cannot read mapping: {exc}") from None
    problems: list[str] = []
    if not isinstance(data, dict):
        raise MappingInvalid(f"{path}: a mapping is a YAML object")
    for key, want in (("instrument", new.id), ("from", old.version), ("to", new.version)):
        if str(data.get(key)) != want:
            problems.append(f"'{key}' is {data.get(key)!r}, expected {want!r}")
    if old.id != new.id:
        problems.append(f"the versions belong to different instruments ({old.id}, {new.id})")
    listed = data.get("questions") or {}
    questions: dict[str, QuestionMap] = {}
    for q in new.questions:
        entry = listed.get(q.id)
        if entry is None and data.get("default") != "same":
            continue
        entry = entry or {}
        old_id = entry.get("from", q.id)
        old_q = old.question(old_id)
        if old_q is None:
            problems.append(f"{q.id}: old question '{old_id}' does not exist in {old.version}")
            continue
        if old_q.type != q.type:
            problems.append(f"{q.id}: type {old_q.type} in {old.version} but {q.type} in {new.version}")
            continue
        options = entry.get("options")
        if options is None:
            if {o.id for o in old_q.options} != {o.id for o in q.options}:
                problems.append(f"{q.id}: options differ between versions, so they need an explicit map")
                continue
        else:
            missing = sorted({o.id for o in old_q.options} - set(options))
            if missing:
                problems.append(f"{q.id}: old options {', '.join(missing)} are not mapped "
                                "(map them to null if none fits)")
            bad = sorted(str(v) for v in options.values() if v is not None and q.option(str(v)) is None)
            if bad:
                problems.append(f"{q.id}: maps to unknown new options {', '.join(bad)}")
            options = {str(k): (None if v is None else str(v)) for k, v in options.items()}
        questions[q.id] = QuestionMap(old_id, options)
    unknown = sorted(set(listed) - {q.id for q in new.questions})
    if unknown:
        problems.append(f"unknown new questions {', '.join(unknown)}")
    if problems:
        raise MappingInvalid(f"{path}: " + "; ".join(problems))
    return Mapping(new.id, old.version, new.version, questions, str(data.get("note", "")))
