"""The personal link of a roster firm: the same in the invitation and every reminder, derived from
the server's secret, so it never needs to be stored; only its hash is kept to find the firm."""
from __future__ import annotations

import base64
import hashlib
import hmac

from flask import current_app


def token(programme_id: int, uscc: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"roster:{programme_id}:{uscc}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def token_hash(programme_id: int, uscc: str) -> str:
    return hash_of(token(programme_id, uscc))


def hash_of(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()
