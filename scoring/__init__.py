"""Scoring: answers -> dimension scores and levels, in NumPy, with no Flask or database."""
from .encode import Encoded, encode
from .engine import BatchResult, DimensionScore, Result, next_level_path, score, score_batch
from .visibility import asked, visible

__all__ = ["BatchResult", "DimensionScore", "Encoded", "Result", "asked", "encode", "next_level_path", "score", "score_batch", "visible"]
