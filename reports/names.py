"""File names of reports: firm, instrument and date, Chinese kept, safe on every file system."""
from __future__ import annotations

import re
from urllib.parse import quote

# Characters Windows, macOS or a ZIP reader refuse or misread in a name, and control characters.
UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def report_filename(*parts: str, ext: str = "pdf", limit: int = 120) -> str:
    """'示范精密机械有限公司-中小企业数字化水平评测-2026-11-23.pdf'."""
    cleaned = [re.sub(r"\s+", " ", UNSAFE.sub("_", p or "")).strip(" .") for p in parts]
    stem = "-".join(p for p in cleaned if p)[:limit].rstrip(" .-") or "report"
    return f"{stem}.{ext}"


def content_disposition(filename: str, fallback: str) -> str:
    """An attachment header with an ASCII fallback and the UTF-8 name (RFC 6266 / RFC 5987)."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
