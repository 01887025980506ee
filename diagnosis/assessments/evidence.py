"""Evidence files on single questions: photos, PDFs and office documents.

The type is read from the content (magic bytes, and for office documents the
parts inside the ZIP), never from the client's name or header: HTML, SVG and
anything else is refused. Names are reduced to safe characters. Files are
stored under EVIDENCE_DIR (the instance folder by default, or a directory the
app servers share) by a random name, and always served as a download with
`nosniff`, so nothing uploaded can run as a page of the site.
"""
from __future__ import annotations

import hashlib
import io
import re
import secrets
import unicodedata
import zipfile
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from ..access import ensure_transition, find_assessment
from ..errors import Refused
from ..extensions import db
from ..models import Assessment, Evidence, User
from .service import instrument_of

OFFICE = {"word/": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
          "xl/": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
          "ppt/": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx")}
MAX_PER_QUESTION = 10


def sniff(data: bytes) -> tuple[str, str] | None:
    """(media type, extension) from the bytes themselves; None for anything not accepted."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", ".jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", ".png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", ".webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf", ".pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = z.namelist()
        except (zipfile.BadZipFile, ValueError):
            return None
        if "[Content_Types].xml" in names:
            for prefix, kind in OFFICE.items():
                if any(n.startswith(prefix) for n in names):
                    return kind
    return None


def safe_name(raw: str | None, ext: str) -> str:
    """A name for the download: letters (Chinese too), digits, dot, dash, underscore; the extension
    is the one the content has."""
    stem = Path(unicodedata.normalize("NFKC", raw or "")).stem
    stem = re.sub(r"[^\w\-.]+", "_", stem, flags=re.UNICODE).strip("._")[:80] or "evidence"
    return stem + ext


def folder() -> Path:
    path = Path(current_app.config.get("EVIDENCE_DIR") or Path(current_app.instance_path) / "evidence")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _assessment(user: User, assessment_id: int) -> Assessment:
    a = find_assessment(user, assessment_id)
    if a is None:
        raise Refused(404, "not_found", _l("找不到这份评估，或您无权查看。"))
    return a


def check(data: bytes) -> tuple[str, str]:
    """The file's (media type, extension), or the reason it is refused: empty, too large, not a type we take."""
    limit = int(current_app.config.get("EVIDENCE_MAX_BYTES", 5 * 1024 * 1024))
    if not data:
        raise Refused(422, "empty_file", _l("请选择一个文件。"), [{"field": "file"}])
    if len(data) > limit:
        raise Refused(413, "too_large", _l("文件太大（上限 %(mb)s MB）。", mb=limit // (1024 * 1024)))
    kind = sniff(data)
    if kind is None:
        raise Refused(415, "file_type", _l("只接受照片（JPEG、PNG、WebP）、PDF 和 Office 文档（docx、xlsx、pptx）。"))
    return kind


def upload(user: User, assessment_id: int, question_id: Any, filename: str | None, data: bytes) -> Evidence:
    a = _assessment(user, assessment_id)
    ensure_transition(user, a, "evidence")
    if not isinstance(question_id, str) or instrument_of(a).question(question_id) is None:
        raise Refused(422, "unknown_question", _l("没有这道题。"), [{"field": "question"}])
    kind = check(data)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Evidence).where(
        Evidence.assessment_id == a.id, Evidence.question_id == question_id))
    if count >= MAX_PER_QUESTION:
        raise Refused(409, "too_many", _l("每道题最多 %(n)s 个佐证文件。", n=MAX_PER_QUESTION))
    stored = secrets.token_hex(16) + kind[1]
    (folder() / stored).write_bytes(data)
    row = Evidence(assessment_id=a.id, question_id=question_id, filename=safe_name(filename, kind[1]),
                   stored_name=stored, media_type=kind[0], size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                   uploaded_by_id=user.id)
    db.session.add(row)
    db.session.commit()
    return row


def of_assessment(a: Assessment) -> dict[str, list[Evidence]]:
    out: dict[str, list[Evidence]] = {}
    for e in db.session.scalars(sa.select(Evidence).where(Evidence.assessment_id == a.id).order_by(Evidence.id)):
        out.setdefault(e.question_id, []).append(e)
    return out


def find(user: User, assessment_id: int, evidence_id: int) -> tuple[Evidence, Path]:
    """The file if the user may see its assessment; 404 otherwise (also for another provider's evidence)."""
    a = _assessment(user, assessment_id)
    e = db.session.get(Evidence, evidence_id)
    if e is None or e.assessment_id != a.id:
        raise Refused(404, "not_found", _l("找不到这个文件。"))
    path = folder() / e.stored_name
    if not path.is_file():
        raise Refused(404, "not_found", _l("找不到这个文件。"))
    return e, path


def download_headers(e: Evidence) -> dict[str, str]:
    """Always a download, never rendered by the browser."""
    from urllib.parse import quote
    return {"Content-Type": e.media_type, "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f"attachment; filename=evidence-{e.id}{Path(e.stored_name).suffix}; "
                                   f"filename*=UTF-8''{quote(e.filename)}",
            "Content-Security-Policy": "sandbox; default-src 'none'", "Cache-Control": "private, no-store"}


def thumbnail(path: Path, size: int = 240) -> str | None:
    """A small PNG of an image, re-encoded here, as a data URL for the report's evidence annex."""
    import base64

    from PIL import Image, UnidentifiedImageError
    try:
        with Image.open(path) as im:
            im.thumbnail((size, size))
            buf = io.BytesIO()
            im.convert("RGB").save(buf, "PNG")
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError):
        return None
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
