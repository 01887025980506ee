"""Published reference figures for an instrument, kept as data files with source and year."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import Field

from .shapes import Id, Strict, Text

REFERENCE_DIR = Path(__file__).parent / "references"


class Bucket(Strict):
    levels: list[int] = Field(min_length=1)
    share: float = Field(ge=0, le=100)


class Figure(Strict):
    id: Id
    title: Text
    source: Text
    year: int = Field(ge=1990, le=2100)


class LevelDistribution(Figure):
    kind: Literal["level_distribution"]
    buckets: list[Bucket] = Field(min_length=1)


class TargetLevel(Figure):
    kind: Literal["target_level"]
    level: int


class QuestionValue(Figure):
    kind: Literal["question_value"]
    question: Id
    value: float


Reference = Annotated[LevelDistribution | TargetLevel | QuestionValue, Field(discriminator="kind")]


class ReferenceFile(Strict):
    instrument: Id
    figures: list[Reference]


@lru_cache(maxsize=16)
def references(instrument_id: str, directory: str = str(REFERENCE_DIR)) -> tuple:
    path = Path(directory) / f"{instrument_id}.yaml"
    if not path.exists():
        return ()
    data = ReferenceFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    return tuple(data.figures)


def position(figure, level: int, answers: dict) -> dict | None:
    """Where a firm stands against one figure, as plain data for reports."""
    if figure.kind == "level_distribution":
        below = sum(b.share for b in figure.buckets if max(b.levels) < level)
        same = sum(b.share for b in figure.buckets if level in b.levels)
        return {"id": figure.id, "kind": figure.kind, "year": figure.year, "ahead_of": round(below + same / 2, 1),
                "share_at_level": same}
    if figure.kind == "target_level":
        return {"id": figure.id, "kind": figure.kind, "year": figure.year, "met": level >= figure.level}
    value = answers.get(figure.question)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    return {"id": figure.id, "kind": figure.kind, "year": figure.year, "value": figure.value, "firm": float(value)}
