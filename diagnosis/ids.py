"""Record ids from URLs and forms, bounded to what the database's integer columns hold.

An id beyond 2^31-1 cannot exist; letting it reach PostgreSQL would be an error
(a 500) rather than the 404 or 400 it deserves.
"""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """<int:...> in routes: matches only ids the database could hold; anything else is a 404."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def form_id(raw: str | None) -> int | None:
    """An id from a form or query string, or None if it is not a plausible one."""
    from .inputs import parse_int
    return parse_int(raw, 1, MAX_ID)
