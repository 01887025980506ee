"""Rendered PDFs kept on disk by the hash of their HTML and variant.

The HTML carries every input of a report (data, language, templates, styles),
so an unchanged report is served from disk and a changed one renders anew.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from .render import ASSETS, html_to_pdf


def _assets_digest() -> str:
    h = hashlib.sha256()
    for path in sorted(ASSETS.rglob("*")):
        if path.is_file():
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def cached_pdf(html: str, cache_dir: str | Path, pdf_variant: str | None = None) -> bytes:
    key = hashlib.sha256(f"{pdf_variant}\0{_assets_digest()}\0{html}".encode()).hexdigest()
    path = Path(cache_dir) / key[:2] / f"{key}.pdf"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    pdf = html_to_pdf(html, pdf_variant)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a concurrent reader never sees half a file.
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
    with os.fdopen(fd, "wb") as f:
        f.write(pdf)
    os.replace(tmp, path)
    return pdf
