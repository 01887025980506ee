"""An operation refused: how the web pages and the API learn why, from the same service function."""
from __future__ import annotations


class Refused(Exception):
    """An operation that cannot be done as asked.

    `status` is the HTTP status both the web and the API answer with, `code` a stable
    word for integrators, `message` a (lazily translated) sentence for people and
    `details` a list of specifics, e.g. every invalid answer.
    """

    def __init__(self, status: int, code: str, message, details: list | None = None):
        super().__init__(str(message))
        self.status, self.code, self.message, self.details = status, code, message, details
