"""Articles by URL: web pages and RSS/Atom feeds, fetched with httpx within limits.

Every URL (and every feed item) that can't be used becomes a `Skipped` with the reason; a
fetch never stops the batch. Loopback and private addresses are allowed on purpose: the
product runs offline, and a newsroom's own archive is often on the local network.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from rag.articles import Article, Rules, article_from_html
from rag.dates import extract_date
from rag.errors import ArticleError, BackendUnavailable
from rag.formats import Skipped, decode

USER_AGENT = "rag-news/1.0 (article indexer)"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/xml",
        "text/xml",
    }
)
_URL = re.compile(r"^https?://[^\s/?#]+", re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)


def is_url(source: object) -> bool:
    """An http(s) address (anything else given to `rag index` is a path or a glob)."""
    return isinstance(source, str) and bool(_URL.match(source.strip()))


class FetchError(ArticleError):
    """A URL gave nothing usable; the message is the reason shown in the summary."""


@dataclass(frozen=True)
class Limits:
    """What one fetch may take. `timeout_s` bounds each network wait and, times three, the
    whole download (a server that drips bytes can't hold a run forever)."""

    timeout_s: float = 10.0
    max_bytes: int = 20 * 1024 * 1024
    max_redirects: int = 5
    feed_items: int = 50


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    kind: str  # "html" or "feed"
    body: bytes
    charset: str | None


def _httpx() -> Any:
    try:
        import httpx
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise BackendUnavailable("indexing by URL needs: pip install httpx") from exc
    return httpx


def _kind(content_type: str, body: bytes) -> str | None:
    mime = content_type.split(";")[0].strip().lower()
    if mime in HTML_TYPES:
        return "html"
    if mime in FEED_TYPES or mime.endswith(("+xml", "/xml")):
        return "feed"
    if mime in ("", "application/octet-stream", "text/plain"):  # unlabelled: look at it
        head = body[:512].lstrip().lower()
        if head.startswith((b"<!doctype html", b"<html")):
            return "html"
        if head.startswith(b"<?xml") or head.startswith((b"<rss", b"<feed", b"<rdf")):
            return "feed"
    return None


class Fetcher:
    """Fetches pages and feeds into articles; `client` is an `httpx.Client` (tests pass one)."""

    def __init__(self, limits: Limits | None = None, client: Any = None) -> None:
        self.limits = limits or Limits()
        self._client = client

    def _session(self) -> Any:
        if self._client is None:
            httpx = _httpx()
            self._client = httpx.Client(
                timeout=httpx.Timeout(self.limits.timeout_s),
                follow_redirects=True,
                max_redirects=self.limits.max_redirects,
                headers={"User-Agent": USER_AGENT, "Accept": "text/html, application/xml;q=0.9"},
            )
        return self._client

    def get(self, url: str) -> Fetched:
        """The body of `url` if it is a web page or a feed; else `FetchError` with the reason."""
        httpx = _httpx()
        limit = self.limits.max_bytes
        deadline = time.monotonic() + 3 * self.limits.timeout_s
        try:
            with self._session().stream("GET", url) as response:
                if response.status_code >= 400:
                    raise FetchError(f"HTTP {response.status_code} {response.reason_phrase}")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise FetchError(f"too large ({_mb(int(declared))} > {_mb(limit)} limit)")
                body = bytearray()
                for piece in response.iter_bytes():
                    body += piece
                    if len(body) > limit:
                        raise FetchError(f"too large (over the {_mb(limit)} limit)")
                    if time.monotonic() > deadline:
                        whole = 3 * self.limits.timeout_s
                        raise FetchError(f"too slow (no full page in {whole:g} s)")
                content_type = response.headers.get("content-type", "")
                kind = _kind(content_type, bytes(body))
                if kind is None:
                    shown = content_type or "no content type"
                    raise FetchError(f"not a web page or feed ({shown})")
                return Fetched(str(response.url), kind, bytes(body), response.charset_encoding)
        except httpx.TooManyRedirects:
            raise FetchError(f"more than {self.limits.max_redirects} redirects (a loop?)") from None
        except httpx.UnsupportedProtocol:
            raise FetchError("redirected to an address that is not http or https") from None
        except httpx.TimeoutException:
            raise FetchError(f"timed out after {self.limits.timeout_s:g} s") from None
        except httpx.InvalidURL as exc:
            raise FetchError(f"not a valid URL ({exc})") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"cannot fetch ({_reason(exc)})") from None

    def articles(self, urls: Iterable[str], rules: Rules) -> tuple[list[Article], list[Skipped]]:
        """The articles behind `urls`: a page is one article, a feed adds its items' pages."""
        articles: list[Article] = []
        skipped: list[Skipped] = []
        for url in dict.fromkeys(u.strip() for u in urls):
            for item in self._one(url, rules):
                if isinstance(item, Article):
                    articles.append(item)
                else:
                    skipped.append(item)
        return articles, skipped

    def _one(self, url: str, rules: Rules) -> Iterator[Article | Skipped]:
        try:
            got = self.get(url)
            if got.kind == "feed":
                yield from self._feed(url, got, rules)
                return
            yield article_from_html(_text(got, url), url, rules, url=url)
        except ArticleError as exc:
            yield Skipped(url, str(exc).removeprefix(f"{url}: "))

    def _feed(self, url: str, got: Fetched, rules: Rules) -> Iterator[Article | Skipped]:
        try:
            import feedparser  # type: ignore[import-untyped]
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise BackendUnavailable("indexing feeds needs: pip install feedparser") from exc
        feed = feedparser.parse(got.body)
        links = [
            (e.get("link"), e.get("published") or e.get("updated") or "")
            for e in feed.entries
            if is_url(e.get("link"))
        ]
        if not links:
            raise FetchError("a feed with no item links" if feed.entries else "not a readable feed")
        for link, when in links[: self.limits.feed_items]:
            try:
                page = self.get(link)
                if page.kind != "html":
                    raise FetchError("a feed item that is not a web page")
                art = article_from_html(_text(page, link), link, rules, url=link)
                if art.published is None and (date := _feed_date(when)):
                    art = dataclasses.replace(art, published=date)
                yield art
            except ArticleError as exc:
                yield Skipped(link, str(exc).removeprefix(f"{link}: "))
        if len(links) > self.limits.feed_items:
            more = len(links) - self.limits.feed_items
            yield Skipped(url, f"{more} more feed items left out (feed_items limit)")


def _text(got: Fetched, url: str) -> str:
    """The page as text: the charset the server or the page declares, else ours (UTF-8, then
    legacy encodings line by line)."""
    charset = got.charset
    if charset is None and (m := _META_CHARSET.search(got.body[:4096])):
        charset = m[1].decode("ascii")
    try:
        text = got.body.decode(charset) if charset else decode(got.body, url)
    except (LookupError, UnicodeDecodeError):  # an unknown or wrong declared charset
        text = decode(got.body, url)
    if not text.strip():
        raise FetchError("an empty page")
    return text


def _feed_date(when: str) -> str | None:
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(when).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return extract_date(when)


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    if "Connection refused" in text or "ConnectError" in text:
        return "connection refused"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "unknown host"
    return text.splitlines()[0][:120]
