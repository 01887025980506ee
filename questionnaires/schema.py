"""The instrument schema, as one import: the data shapes (`shapes.py`) and the
cross-reference checks (`crosschecks.py`). Kept so that `questionnaires.schema`
imports keep working; new code imports from the two modules directly."""
from .crosschecks import check_references
from .shapes import *  # noqa: F403
from .shapes import __all__ as _shape_names

__all__ = [*_shape_names, "check_references"]
