"""Load instrument files, validate them and give each a content hash.

The hash is taken over the validated definition in canonical JSON, so a change
of wording, weight or option is a new version while a reformatted file is not.
"""
from __future__ import annotations

import copy
import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from .corrections import NOT_STARS, correct_snapshot
from .crosschecks import check_references
from .shapes import Instrument

INSTRUMENT_DIR = Path(__file__).parent / "instruments"
# Where sources disagree, an instrument ships a variant (a small overlay file) next to its
# default; a deployment chooses variants with INSTRUMENT_VARIANTS="id:variant,id:variant".
VARIANT_ENV = "INSTRUMENT_VARIANTS"


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
        reason = f"not valid YAML: {getattr(exc, 'problem', exc)}"
        raise InstrumentInvalid([InstrumentError(str(path), where, reason)]) from None
    return parse(data, str(path))


def canonical_json(inst: Instrument) -> str:
    return json.dumps(inst.model_dump(mode="json", by_alias=True, exclude_none=True), ensure_ascii=False,
                      sort_keys=True, separators=(",", ":"))


def content_hash(inst: Instrument) -> str:
    return hashlib.sha256(canonical_json(inst).encode("utf-8")).hexdigest()


def from_json(text: str) -> Instrument:
    """Rebuild an instrument from a stored canonical snapshot (with corrected display names, see corrections.py)."""
    data = json.loads(text)
    try:
        current = get(data["id"]) if isinstance(data, dict) and data.get("id") in NOT_STARS else None
    except KeyError:
        current = None
    return parse(correct_snapshot(data, current), "<snapshot>")


@lru_cache(maxsize=4)
def _load_dir(directory: str, chosen: tuple[tuple[str, str], ...] = ()) -> dict[str, Instrument]:
    found = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        inst = load_file(path)
        found[inst.id] = inst
    for instrument_id, name in chosen:
        found[instrument_id] = variant(instrument_id, name, directory)
    return found


def chosen_variants() -> tuple[tuple[str, str], ...]:
    """The variants this deployment chose, from INSTRUMENT_VARIANTS ("cloud-adoption:js2021,...")."""
    pairs = [p.strip().split(":", 1) for p in os.environ.get(VARIANT_ENV, "").split(",") if p.strip()]
    return tuple((k.strip(), v.strip()) for k, v in pairs)


def variants(instrument_id: str, directory: str | Path = INSTRUMENT_DIR) -> list[str]:
    """The names of the variants shipped for an instrument."""
    return sorted(p.name[len(instrument_id) + 1:-len(".yaml")]
                  for p in (Path(directory) / "variants").glob(f"{instrument_id}.*.yaml"))


def variant(instrument_id: str, name: str, directory: str | Path = INSTRUMENT_DIR) -> Instrument:
    """The instrument with one of its variant overlays applied: the overlay names its own
    version and sets values by dotted path (list items by index), nothing else."""
    path = Path(directory) / "variants" / f"{instrument_id}.{name}.yaml"
    if not path.is_file():
        have = ", ".join(variants(instrument_id, directory)) or "none"
        raise KeyError(f"no variant '{name}' of instrument '{instrument_id}' (have: {have})")
    overlay = yaml.safe_load(path.read_text(encoding="utf-8"))
    base = yaml.safe_load((Path(directory) / f"{instrument_id}.yaml").read_text(encoding="utf-8"))
    data = copy.deepcopy(base)
    data["version"] = overlay["version"]
    for dotted, value in (overlay.get("set") or {}).items():
        _set_path(data, dotted.split("."), value, str(path))
    return parse(data, str(path))


def _set_path(data, keys: list[str], value, file: str) -> None:
    for i, key in enumerate(keys):
        last = i == len(keys) - 1
        if isinstance(data, list):
            if not key.isdigit() or int(key) >= len(data):
                raise InstrumentInvalid([InstrumentError(file, ".".join(keys), f"no list item {key}")])
            key = int(key)
        elif not isinstance(data, dict) or (not last and key not in data):
            raise InstrumentInvalid([InstrumentError(file, ".".join(keys), f"no field '{key}' to set")])
        if last:
            data[key] = value
        else:
            data = data[key]


def available(directory: str | Path = INSTRUMENT_DIR) -> dict[str, Instrument]:
    """The current version of every instrument shipped in `directory`, by id, with the
    variants this deployment chose."""
    return _load_dir(str(directory), chosen_variants() if Path(directory) == INSTRUMENT_DIR else ())


def get(instrument_id: str, directory: str | Path = INSTRUMENT_DIR) -> Instrument:
    try:
        return available(directory)[instrument_id]
    except KeyError:
        raise KeyError(f"no instrument '{instrument_id}'") from None
