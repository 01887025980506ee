"""Load instrument files, validate them and give each a content hash.

The hash is taken over the validated definition in canonical JSON, so a change
of wording, weight or option is a new version while a reformatted file is not.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from .crosschecks import check_references
from .shapes import Instrument

INSTRUMENT_DIR = Path(__file__).parent / "instruments"


@dataclass(frozen=True)
class InstrumentError:
    file: str
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path or '(top)'}: {self.reason}"


class InstrumentInvalid(Exception):
    def __init__(self, errors: list[InstrumentError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


def parse(data: object, file: str = "<data>") -> Instrument:
    """Validate a decoded instrument; raise InstrumentInvalid listing every error."""
    try:
        inst = Instrument.model_validate(data)
    except ValidationError as exc:
        raise InstrumentInvalid([
            InstrumentError(file, ".".join(str(p) for p in err["loc"]), _reason(err)) for err in exc.errors()
        ]) from None
    problems = check_references(inst)
    if problems:
        raise InstrumentInvalid([InstrumentError(file, p, r) for p, r in problems])
    return inst


def _reason(err: dict) -> str:
    msg = err["msg"]
    if err["type"] == "missing":
        return "required field is missing"
    if err["type"] == "extra_forbidden":
        return "unknown field"
    return msg.removeprefix("Value error, ")


def load_file(path: str | Path) -> Instrument:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InstrumentInvalid([InstrumentError(str(path), "", f"cannot read file: {exc}")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InstrumentInvalid([InstrumentError(str(path), where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from None
    return parse(data, str(path))


def canonical_json(inst: Instrument) -> str:
    return json.dumps(inst.model_dump(mode="json", by_alias=True, exclude_none=True), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def content_hash(inst: Instrument) -> str:
    return hashlib.sha256(canonical_json(inst).encode("utf-8")).hexdigest()


def from_json(text: str) -> Instrument:
    """Rebuild an instrument from a stored canonical snapshot."""
    return parse(json.loads(text), "<snapshot>")


@lru_cache(maxsize=1)
def _load_dir(directory: str) -> dict[str, Instrument]:
    found = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        inst = load_file(path)
        found[inst.id] = inst
    return found


def available(directory: str | Path = INSTRUMENT_DIR) -> dict[str, Instrument]:
    """The current version of every instrument shipped in `directory`, by id."""
    return _load_dir(str(directory))


def get(instrument_id: str, directory: str | Path = INSTRUMENT_DIR) -> Instrument:
    try:
        return available(directory)[instrument_id]
    except KeyError:
        raise KeyError(f"no instrument '{instrument_id}'") from None
