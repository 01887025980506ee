"""Questionnaire instruments as versioned data files and their loader (no Flask)."""
from .answers import AnswerError, clean_answers
from .loader import (
    InstrumentError,
    InstrumentInvalid,
    available,
    canonical_json,
    content_hash,
    from_json,
    get,
    load_file,
    parse,
    variant,
    variants,
)
from .shapes import Instrument, Question

__all__ = [
    "AnswerError", "Instrument", "InstrumentError", "InstrumentInvalid", "Question", "available",
    "canonical_json", "clean_answers", "content_hash", "from_json", "get", "load_file", "parse", "variant", "variants",
]
