"""The interface every question type implements, with the defaults most share."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..schema import Question

MISSING = -1  # the code of an unanswered single/level/yes-no question


class InvalidAnswer(ValueError):
    """Why an answer was refused: a stable `code` with `params` for interfaces to word."""

    def __init__(self, code: str, reason: str, **params):
        super().__init__(reason)
        self.code, self.params = code, params


class QuestionType:
    name = ""
    has_options = False     # the question lists options (single, multi, level)
    operators: frozenset[str] = frozenset({"answered"})  # show_if operators it can be tested with

    # -- definition ---------------------------------------------------------------
    def shape_error(self, q: Question) -> str | None:
        """What is wrong with the question's own fields for this type, if anything."""
        if q.options:
            return f"a {self.name} question takes no options"
        if q.bins:
            return f"a {self.name} question takes no bins"
        return None

    def max_points(self, q: Question) -> float:
        return 0.0

    # -- answers ------------------------------------------------------------------
    def clean(self, q: Question, value: Any) -> Any:
        """The stored form of a non-null answer; raises InvalidAnswer."""
        raise NotImplementedError

    def encode(self, q: Question, raw: tuple, n: int) -> dict[str, np.ndarray]:
        """Columns for scoring (keys of scoring.encode.Column): at least `answered`."""
        return {"answered": np.fromiter((v is not None for v in raw), bool, n)}

    def points(self, q: Question, col) -> np.ndarray | None:
        """(n,) points earned per firm, or None when the type carries no points."""
        return None

    def compare(self, q: Question, col, op: str, val: Any) -> np.ndarray:
        """(n,) whether each firm's answer satisfies `op val` (presence is checked by the caller)."""
        raise NotImplementedError

    # -- exchange -----------------------------------------------------------------
    def from_cell(self, q: Question, v: Any) -> Any:
        """A non-empty spreadsheet cell as the answer value `clean` expects."""
        return str(v)

    def cell_choices(self, q: Question, lang: str) -> list[str] | None:
        """Values for a drop-down list in the XLSX template, if the type has a fixed set."""
        return None

    def cell_hint(self, q: Question, lang: str) -> str:
        return "文字" if lang != "en" else "Text"

    def paper_lines(self, q: Question, lang: str, words: dict) -> list[str]:
        """Answer lines under the question on a printed form."""
        return [f"   [ ] {o.text.get(lang)}" for o in q.options]

    def answer_text(self, q: Question, v: Any, lang: str, words: dict) -> str:
        """An answer as a reader would say it; `words` holds yes/no/none in the reader's language."""
        return str(v)

    def draw(self, q: Question, md: np.ndarray, rng: np.random.Generator) -> list:
        """Synthetic answers for firms of maturity `md` (0-1)."""
        return [None] * len(md)
