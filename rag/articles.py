"""Articles: read .txt/.md/.html/.jsonl files, clean news boilerplate, extract metadata."""

from __future__ import annotations

import glob
import hashlib
import json
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import ClassVar

from rag.errors import ArticleError

SUPPORTED = {".txt", ".md", ".markdown", ".html", ".htm", ".jsonl"}
MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Article:
    """One cleaned article; `text` is what chunk offsets and citation quotes refer to."""

    doc_id: str
    title: str
    text: str
    source: str
    published: str | None  # ISO date
    path: str
    url: str | None = None
    dateline: str | None = None

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass
class Rules:
    """Boilerplate rules, compiled. Built from `boilerplate.toml` plus an optional extra file."""

    drop_lines: list[re.Pattern[str]] = field(default_factory=list)
    drop_trailing: list[re.Pattern[str]] = field(default_factory=list)
    dateline: re.Pattern[str] | None = None
    source_patterns: list[re.Pattern[str]] = field(default_factory=list)

    @classmethod
    def load(cls, extra: Path | None = None) -> Rules:
        data = tomllib.loads(resources.files("rag").joinpath("boilerplate.toml").read_text("utf-8"))
        if extra is not None:
            try:
                more = tomllib.loads(Path(extra).read_text("utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ArticleError(f"cannot read boilerplate rules {extra}: {exc}") from exc
            for key in ("drop_lines", "drop_trailing", "source_patterns"):
                data[key] = [*data.get(key, []), *more.get(key, [])]
        flags = re.IGNORECASE

        def full(patterns: list[str]) -> list[re.Pattern[str]]:
            return [re.compile(rf"(?:{p})", flags) for p in patterns]

        return cls(
            drop_lines=full(data["drop_lines"]),
            drop_trailing=full(data["drop_trailing"]),
            dateline=re.compile(data["dateline"]),
            source_patterns=[re.compile(p) for p in data["source_patterns"]],
        )


# --- dates ------------------------------------------------------------------------------------

_MONTHS = {
    "januari": 1, "jan": 1, "january": 1, "februari": 2, "feb": 2, "february": 2, "maret": 3,
    "mar": 3, "march": 3, "april": 4, "apr": 4, "mei": 5, "may": 5, "juni": 6, "jun": 6,
    "june": 6, "juli": 7, "jul": 7, "july": 7, "agustus": 8, "agu": 8, "agt": 8, "aug": 8,
    "august": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10, "oct": 10,
    "october": 10, "november": 11, "nov": 11, "desember": 12, "des": 12, "dec": 12,
    "december": 12,
}  # fmt: skip
_DAY = r"(?:Senin|Selasa|Rabu|Kamis|Jumat|Jum'at|Sabtu|Minggu|Ahad)"
_DATE_NUMERIC = re.compile(_DAY + r",?\s*\(\s*(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})\s*\)")
_DATE_WORDS = re.compile(r"\b(\d{1,2})\s+([A-Za-z]{3,9})\.?\s+(\d{4})\b")
_DATE_ISO = re.compile(r"\b((?:19|20)\d\d)-(\d\d)-(\d\d)(?!\d)")


def _safe_date(y: int, m: int, d: int) -> str | None:
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


def extract_date(text: str) -> str | None:
    """The publication date: 'Jumat (24/3/2023)', '24 Maret 2023' or ISO, first found."""
    if m := _DATE_NUMERIC.search(text):
        return _safe_date(int(m[3]), int(m[2]), int(m[1]))
    for m in _DATE_WORDS.finditer(text):
        month = _MONTHS.get(m[2].lower())
        if month and (found := _safe_date(int(m[3]), month, int(m[1]))):
            return found
    if m := _DATE_ISO.search(text):
        return _safe_date(int(m[1]), int(m[2]), int(m[3]))
    return None


# --- cleaning ---------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[.!?…\"”’)]$")


def normalize(raw: str) -> list[str]:
    """NFC, no control characters, trimmed lines, no empty lines."""
    text = unicodedata.normalize("NFC", raw.replace("\r\n", "\n").replace("\r", "\n"))
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.split("\n") if line.strip()]


@dataclass(frozen=True)
class Cleaned:
    text: str
    title: str | None
    dateline: str | None
    source: str | None


def clean(raw: str, rules: Rules, *, title_from_first_line: bool = True) -> Cleaned:
    """Drop boilerplate lines, trailing credits and the dateline; find title and source."""
    lines = normalize(raw)
    source = None
    for pattern in rules.source_patterns:
        if m := pattern.search("\n".join(lines)):
            source = m["source"]
            break
    lines = [ln for ln in lines if not any(p.fullmatch(ln) for p in rules.drop_lines)]
    while lines and any(p.fullmatch(lines[-1]) for p in rules.drop_trailing):
        lines.pop()
    dateline = None
    if lines and rules.dateline and (m := rules.dateline.match(lines[0])):
        dateline = m["place"].strip()
        rest = lines[0][m.end() :].strip()
        lines = [rest, *lines[1:]] if rest else lines[1:]
    title = None
    if (
        title_from_first_line
        and len(lines) > 1
        and len(lines[0]) <= 200
        and not _SENTENCE_END.search(lines[0])
    ):
        title, lines = lines[0].lstrip("# ").strip(), lines[1:]
        if lines and rules.dateline and (m := rules.dateline.match(lines[0])):
            dateline = m["place"].strip()
            rest = lines[0][m.end() :].strip()
            lines = [rest, *lines[1:]] if rest else lines[1:]
    return Cleaned("\n\n".join(lines), title or None, dateline, source)


def derive_title(text: str, limit: int = 90) -> str:
    """A readable title from the first sentence when the article has none."""
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    if len(first) <= limit:
        return first.rstrip(".")
    return first[:limit].rsplit(" ", 1)[0] + "…"


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9_.-]+", "-", name.lower()).strip("-.")[:80]


# --- formats ----------------------------------------------------------------------------------


class _HTMLText(HTMLParser):
    SKIP: ClassVar[set[str]] = {
        "script",
        "style",
        "noscript",
        "nav",
        "footer",
        "header",
        "aside",
        "form",
        "svg",
    }
    BLOCK: ClassVar[set[str]] = set(
        "p div br li h1 h2 h3 h4 h5 h6 tr section article blockquote figcaption title".split()
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: str | None = None
        self.meta: dict[str, str] = {}
        self._skip = 0
        self._in: str | None = None
        self._heading: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skip += 1
        if tag == "meta":
            a = {k: v or "" for k, v in attrs}
            if key := a.get("property") or a.get("name"):
                self.meta[key.lower()] = a.get("content", "")
        if tag in ("title", "h1") and self._in is None:
            self._in = tag
            self._heading = []
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skip:
            self._skip -= 1
        if tag == self._in:
            # <title> comes first in a page; an <h1> is the fallback
            self.title = self.title or " ".join("".join(self._heading).split()) or None
            self._in = None
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._in:
            self._heading.append(data)
        if self._in != "title":
            self.parts.append(data)


def decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), else cp1252, else latin-1; binary data is an error."""
    if b"\x00" in data[:8192]:
        raise ArticleError(f"{name}: binary file (NUL bytes), not text")
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ArticleError(f"{name}: cannot decode text")  # unreachable: latin-1 decodes anything


def _make(
    doc_id: str,
    cleaned: Cleaned,
    path: str,
    *,
    title: str | None = None,
    url: str | None = None,
    published: str | None = None,
    source: str | None = None,
) -> Article:
    if not cleaned.text.strip():
        raise ArticleError(f"{path}: no article text after cleaning")
    return Article(
        doc_id=doc_id,
        title=title or cleaned.title or derive_title(cleaned.text),
        text=cleaned.text,
        source=source or cleaned.source or (_domain(url) if url else None) or Path(path).name,
        published=published or extract_date(cleaned.text),
        path=path,
        url=url,
        dateline=cleaned.dateline,
    )


def _domain(url: str) -> str | None:
    m = re.match(r"^[a-z]+://(?:www\.)?([^/:]+)", url)
    return m[1] if m else None


def parse_file(
    path: Path, rules: Rules, max_bytes: int = MAX_FILE_BYTES
) -> Iterator[Article | Skipped]:
    """Articles from one file; per-record problems come back as `Skipped`, file ones raise."""
    name = str(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise ArticleError(f"{name}: unsupported file type {suffix or '(none)'}")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ArticleError(f"{name}: {size:,} bytes is over the {max_bytes:,} byte limit")
        data = path.read_bytes()
    except OSError as exc:
        raise ArticleError(f"{name}: cannot read ({exc.strerror or exc})") from exc
    if not data.strip():
        raise ArticleError(f"{name}: empty file")
    text = decode(data, name)
    base_id = slug(path.stem) or "doc-" + hashlib.sha256(name.encode()).hexdigest()[:12]
    if suffix == ".jsonl":
        yield from _parse_jsonl(text, name, rules)
    elif suffix in (".html", ".htm"):
        parser = _HTMLText()
        parser.feed(text)
        cleaned = clean("".join(parser.parts), rules, title_from_first_line=False)
        meta = parser.meta
        yield _make(
            base_id,
            cleaned,
            name,
            title=meta.get("og:title") or parser.title,
            url=meta.get("og:url"),
            source=meta.get("og:site_name"),
            published=extract_date(meta.get("article:published_time", "")),
        )
    else:
        yield _make(base_id, clean(text, rules), name)


def _parse_jsonl(text: str, name: str, rules: Rules) -> Iterator[Article | Skipped]:
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{name}:{lineno}"
        try:
            rec = json.loads(line)
            if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
                raise ValueError("expected an object with a string 'text'")
            doc_id = (
                slug(str(rec.get("doc_id") or ""))
                or "doc-" + hashlib.sha256(rec["text"].encode()).hexdigest()[:12]
            )
            cleaned = clean(rec["text"], rules, title_from_first_line=False)
            yield _make(
                doc_id,
                cleaned,
                where,
                title=rec.get("title") or None,
                url=rec.get("url"),
                published=rec.get("published") or None,
                source=rec.get("source") or None,
            )
        except (ValueError, ArticleError) as exc:
            yield Skipped(where, str(exc).removeprefix(f"{where}: "))


def discover(sources: Iterable[Path | str]) -> tuple[list[Path], list[Skipped]]:
    """Expand files, folders (recursively) and globs into article files, sorted."""
    files: set[Path] = set()
    skipped: list[Skipped] = []
    for src in sources:
        src_str = str(src)
        matches = (
            [Path(p) for p in sorted(glob.glob(src_str, recursive=True))]
            if any(c in src_str for c in "*?[")
            else [Path(src)]
        )
        if not matches:
            skipped.append(Skipped(src_str, "no file matches"))
        for p in matches:
            if p.is_dir():
                files.update(f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
            elif p.exists():
                files.add(p)
            else:
                skipped.append(Skipped(src_str, "no such file or folder"))
    return sorted(files), skipped


def load_articles(
    sources: Iterable[Path | str], rules: Rules, max_bytes: int = MAX_FILE_BYTES
) -> tuple[list[Article], list[Skipped]]:
    """All articles under `sources`; every file or record that can't be used is a `Skipped`."""
    files, skipped = discover(sources)
    articles: list[Article] = []
    for f in files:
        try:
            for item in parse_file(f, rules, max_bytes):
                (articles if isinstance(item, Article) else skipped).append(item)  # type: ignore[arg-type]
        except ArticleError as exc:
            skipped.append(Skipped(str(f), str(exc).removeprefix(f"{f}: ")))
    return articles, skipped
