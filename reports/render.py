"""HTML and PDF rendering of reports with WeasyPrint.

The renderer's URL fetcher serves files from reports/assets only and refuses
everything else (other files, the network, data: URLs other than the app's own
PNG thumbnails), so nothing a user typed can make the renderer read or fetch anything.
"""
from __future__ import annotations

import base64
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlparse

from jinja2 import Environment, PackageLoader, select_autoescape
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .i18n import translations

ASSETS = (Path(__file__).parent / "assets").resolve()
BASE_URL = ASSETS.as_uri() + "/"
THUMBNAIL_PREFIX = "data:image/png;base64,"


class AssetFetcher(URLFetcher):
    """Serve a packaged asset or refuse; WeasyPrint logs a refusal and renders on."""

    def __init__(self):
        super().__init__(allowed_protocols=["file"], fail_on_errors=False)

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        if url.startswith(THUMBNAIL_PREFIX):  # evidence thumbnails the app re-encoded itself (evidence annex)
            return URLFetcherResponse(url[:80], base64.b64decode(url[len(THUMBNAIL_PREFIX):], validate=True),
                                      {"Content-Type": "image/png"})
        parsed = urlparse(url)
        path = Path(unquote(parsed.path)).resolve() if parsed.scheme == "file" and not parsed.netloc else None
        if path is None or ASSETS not in path.parents or not path.is_file():
            raise ValueError(f"refused to fetch {url[:80]!r}: only packaged report assets are served")
        mime = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}.get(path.suffix, "application/octet-stream")
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})


def _env(lang: str) -> Environment:
    env = Environment(loader=PackageLoader("reports", "templates"), autoescape=select_autoescape(["html"]),
                      extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(translations(lang), newstyle=True)
    return env


def render_html(template: str, context: dict) -> str:
    return _env(context["lang"]).get_template(template).render(**context)


@lru_cache(maxsize=1)
def _print_setup():
    """Fonts and the stylesheet, loaded once per process: reloading them cost about
    a sixth of every render. (Gunicorn's sync workers render one report at a time.)"""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration
    fonts = FontConfiguration()
    css = CSS(string=(ASSETS / "report.css").read_text(encoding="utf-8"), base_url=BASE_URL,
              url_fetcher=AssetFetcher(), font_config=fonts)
    return fonts, css


def lean_ua_css(ua: str) -> str:
    """WeasyPrint's user-agent sheet styles ::marker and five footnote and note pseudo-elements
    on *every* element, so each element costs seven computed styles instead of one: about a
    sixth of a report's render. Reports use no footnotes and list markers only on <li>."""
    lean = ua.replace("\n::marker {", "\nli::marker {", 1)
    return re.sub(r"^::(?:footnote|note)-[a-z]+ \{[^}\n]*\}\n", "", lean, flags=re.M)


@lru_cache(maxsize=1)
def _report_html_class():
    from weasyprint import CSS, HTML
    from weasyprint import html as ua_html

    ua = CSS(string=lean_ua_css(ua_html.UA), counter_style=ua_html.UA_COUNTER_STYLE)

    class ReportHTML(HTML):
        def _ua_stylesheets(self, forms=False):
            return [ua, ua_html.UA_FORM_STYLESHEET] if forms else [ua]

    return ReportHTML


def html_to_pdf(html: str, pdf_variant: str | None = None) -> bytes:
    fonts, css = _print_setup()
    return _report_html_class()(string=html, base_url=BASE_URL, url_fetcher=AssetFetcher()).write_pdf(
        stylesheets=[css], font_config=fonts, pdf_variant=pdf_variant)
