"""Web pages: the article body and its metadata, through trafilatura (boilerplate removal, with
htmldate for the publication date), or the plain reader in `rag.formats` when it finds nothing.

Measured on real pages with hand-checked bodies in `evals/extraction.py` (see README).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Literal

from rag.dates import extract_date
from rag.errors import BackendUnavailable
from rag.formats import html_text

Extractor = Literal["trafilatura", "plain"]

# trafilatura logs every page it finds too short at WARNING: that is our fallback, not a fault
logging.getLogger("trafilatura").setLevel(logging.ERROR)
logging.getLogger("htmldate").setLevel(logging.ERROR)

# never article text, even where trafilatura falls back to a page's whole text (short pages)
PRUNE = "//nav|//footer|//aside|//form|//iframe|//object|//template|//svg|//button|//select"
_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3})", re.IGNORECASE)


@dataclass(frozen=True)
class Page:
    """What a page says about itself, and its body text (one paragraph per line)."""

    text: str
    title: str | None = None
    author: str | None = None
    site: str | None = None
    url: str | None = None  # the canonical URL the page declares
    published: str | None = None  # ISO date
    language: str | None = None  # as the page declares it ('id', 'en', ...)
    extractor: Extractor = "trafilatura"


def _trafilatura() -> Any:
    try:
        import trafilatura
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise BackendUnavailable(
            "reading web pages needs: pip install trafilatura lxml_html_clean"
        ) from exc
    return trafilatura


def _one_line(value: object) -> str | None:
    return " ".join(value.split()) or None if isinstance(value, str) else None


_SUFFIX = re.compile(r"\s+[|\-–—:·]\s+([^|\-–—:·]{2,60})$")


def _without_site(title: str | None, *names: object) -> str | None:
    """'Jamaah Haji Ikuti ... | ihram.co.id' without the site's name at its end."""
    m = _SUFFIX.search(title or "")
    if not title or not m:
        return title
    tail = m[1].strip().casefold().removeprefix("www.")
    known = {str(n).casefold().removeprefix("www.") for n in names if isinstance(n, str) and n}
    return title[: m.start()].strip() if tail in known else title


def _plain(html: str, language: str | None) -> Page:
    parser = html_text(html)
    meta = parser.meta
    return Page(
        text="".join(parser.parts),
        title=_one_line(meta.get("og:title")) or parser.title,
        author=_one_line(meta.get("author")),
        site=_one_line(meta.get("og:site_name")),
        url=_one_line(meta.get("og:url")),
        published=extract_date(meta.get("article:published_time", "")),
        language=language,
        extractor="plain",
    )


def _extract(html: str, url: str | None, *, tables: bool) -> Any:
    """trafilatura's document for `html`, or None when it finds no body text."""
    try:
        doc = _trafilatura().bare_extraction(
            html,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=tables,
            deduplicate=False,
            prune_xpath=PRUNE,
        )
    except Exception:  # lxml and trafilatura raise many kinds on odd input: read it plainly
        return None
    return doc if doc is not None and (doc.text or "").strip() else None


def _table_layout(text: str) -> bool:
    """Most of the text is table rows ('| a | b |'): a layout table, not a data table in an
    article (which keeps its rows)."""
    rows = sum(len(line) for line in text.splitlines() if line.lstrip().startswith("|"))
    return rows > 0.5 * len(text)


def read_page(html: str, url: str | None = None) -> Page:
    """The article in `html`: trafilatura's body and metadata; the plain reader's text when
    trafilatura finds no body (a short page, an unusual layout), so no article is dropped."""
    m = _LANG.search(html[:4096])
    language = m[1].lower() if m else None
    doc = _extract(html, url, tables=True)
    if doc is not None and _table_layout(doc.text):
        # the page is laid out in a table: trafilatura keeps the sidebars and menus that share
        # the article's table, so read it without tables (evals/extraction.py: F1 .93 -> .96)
        doc = _extract(html, url, tables=False) or doc
    if doc is None:
        return _plain(html, language)
    return Page(
        text=doc.text,
        title=_without_site(_one_line(doc.title), doc.sitename, doc.hostname),
        author=_one_line(doc.author),
        site=_one_line(doc.sitename),
        url=_one_line(doc.url),
        published=doc.date if isinstance(doc.date, str) and extract_date(doc.date) else None,
        language=_one_line(doc.language) or language,
    )
