"""The review of facts that two instruments ask (questionnaires/shared-facts.yaml).

An answer may serve a question of another instrument only where both ask the same fact and
every carried option has exactly one meaning on the other side. The review found no such pair in
the current versions, so nothing is carried between instruments; the file records every pair
considered and why it was rejected, and pins the versions read. Checking it against the shipped
instruments makes a version change (new questions, changed wording) a failing check until the
review is redone, instead of leaving a verdict standing on a text that is no longer there.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from .loader import INSTRUMENT_DIR, load_file
from .shapes import Instrument

REVIEW_FILE = Path(__file__).parent / "shared-facts.yaml"
VERDICTS = ("rejected",)   # a "linked" verdict needs the carrying that no pair has yet justified


class ReviewInvalid(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Considered:
    between: tuple[str, str]                  # instrument ids
    questions: tuple[tuple[str, str], ...]    # (question of the first, question of the second)
    verdict: str
    reason: str


@dataclass(frozen=True)
class Review:
    reviewed: dict[str, str]                  # instrument id -> version read
    considered: tuple[Considered, ...]

    def pairs(self) -> set[tuple[str, str, str, str]]:
        """Every (instrument, question, instrument, question) considered."""
        return {(c.between[0], a, c.between[1], b) for c in self.considered for a, b in c.questions}


def load_review(instruments: dict[str, Instrument], path: str | Path = REVIEW_FILE) -> Review:
    """Read the review and check it against `instruments` (id -> current version); raise
    ReviewInvalid listing every problem: a version other than the one reviewed, an unknown
    instrument or question, a pair within one instrument, a verdict without a reason."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ReviewInvalid([f"{path}: cannot read: {exc}"]) from None
    if not isinstance(data, dict):
        raise ReviewInvalid([f"{path}: the review is a YAML object"])
    problems: list[str] = []
    raw = data.get("reviewed")
    if not isinstance(raw, dict):
        problems.append("'reviewed' maps each instrument to the version read")
        raw = {}
    reviewed = {str(k): str(v) for k, v in raw.items()}
    for iid, inst in sorted(instruments.items()):
        if iid not in reviewed:
            problems.append(f"{iid} {inst.version} has not been reviewed against the other instruments")
        elif reviewed[iid] != inst.version:
            problems.append(f"{iid} is now version {inst.version} but the review read {reviewed[iid]}: read the "
                            f"new version against the others, update the verdicts and 'reviewed'")
    for iid in sorted(set(reviewed) - set(instruments)):
        problems.append(f"reviewed: unknown instrument '{iid}'")
    considered: list[Considered] = []
    for n, entry in enumerate(data.get("considered") or [], 1):
        where = f"considered #{n}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: an entry is an object")
            continue
        between = entry.get("between")
        if not (isinstance(between, list) and len(between) == 2 and all(isinstance(b, str) for b in between)):
            problems.append(f"{where}: 'between' names two instruments")
            continue
        if between[0] == between[1]:
            problems.append(f"{where}: both sides are {between[0]}; versions of one instrument are mapped in mappings/")
            continue
        sides = [instruments.get(b) for b in between]
        for b, inst in zip(between, sides):
            if inst is None:
                problems.append(f"{where}: unknown instrument '{b}'")
        pairs = entry.get("questions") or []
        if not isinstance(pairs, list):
            problems.append(f"{where}: 'questions' is a list of question pairs")
            pairs = []
        if not pairs:
            problems.append(f"{where}: no questions")
        for pair in pairs:
            if not (isinstance(pair, list) and len(pair) == 2):
                problems.append(f"{where}: a question pair is [question of {between[0]}, question of {between[1]}]")
                continue
            for qid, b, inst in zip(pair, between, sides):
                if inst is not None and inst.question(str(qid)) is None:
                    problems.append(f"{where}: {b} {inst.version} has no question '{qid}'")
        verdict = entry.get("verdict")
        if verdict not in VERDICTS:
            problems.append(f"{where}: verdict {verdict!r} is not one of {', '.join(VERDICTS)}")
        reason = entry.get("reason")
        if not (isinstance(reason, str) and reason.strip()):
            problems.append(f"{where}: a verdict needs its reason, quoting the instruments' wording")
        good = tuple((str(p[0]), str(p[1])) for p in pairs if isinstance(p, list) and len(p) == 2)
        considered.append(Considered((between[0], between[1]), good, str(verdict), str(reason or "")))
    if problems:
        raise ReviewInvalid([f"{path.name}: {p}" for p in problems])
    return Review(reviewed, tuple(considered))


def shipped_instruments() -> dict[str, Instrument]:
    """The default file of every shipped instrument (variants change rules, not questions)."""
    return {inst.id: inst for inst in (load_file(p) for p in sorted(INSTRUMENT_DIR.glob("*.yaml")))}
