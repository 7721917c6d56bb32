"""Articles: read .txt/.md/.html/.jsonl files, clean news boilerplate, extract metadata."""

from __future__ import annotations

import hashlib
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path

from rag.dates import extract_date as extract_date
from rag.errors import ArticleError, ConfigError
from rag.formats import MAX_FILE_BYTES as MAX_FILE_BYTES
from rag.formats import SUPPORTED as SUPPORTED
from rag.formats import Skipped as Skipped
from rag.formats import _HTMLText as _HTMLText
from rag.formats import decode as decode
from rag.formats import discover as discover
from rag.formats import jsonl_records, read_text
from rag.pages import read_page


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
    author: str | None = None
    language: str | None = None  # as the page declares it

    @cached_property
    def content_hash(self) -> str:
        """Of the text, once per article (every chunk carries it)."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:16]


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
        where = str(extra) if extra is not None else "the built-in rules"

        def compiled(pattern: object, wrap: bool) -> re.Pattern[str]:
            if not isinstance(pattern, str):
                raise ConfigError(f"{where}: a rule must be a string, not {pattern!r}")
            try:
                return re.compile(rf"(?:{pattern})", re.IGNORECASE) if wrap else re.compile(pattern)
            except re.error as exc:
                raise ConfigError(f"{where}: bad pattern {pattern!r}: {exc}") from exc

        return cls(
            drop_lines=[compiled(p, True) for p in data["drop_lines"]],
            drop_trailing=[compiled(p, True) for p in data["drop_trailing"]],
            dateline=compiled(data["dateline"], False),
            source_patterns=[compiled(p, False) for p in data["source_patterns"]],
        )


# --- cleaning ---------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[.!?…\"”’)]$")
_SUSPECT = re.compile(r"[^\x20-\x7e\n\t]")
_SPACES = re.compile(r"[ \t\u00a0]+")


def normalize(raw: str) -> list[str]:
    """NFC, no control characters, trimmed lines, no empty lines."""
    text = unicodedata.normalize("NFC", raw.replace("\r\n", "\n").replace("\r", "\n"))
    # only characters outside printable ASCII can be control/format characters
    text = _SUSPECT.sub(lambda m: "" if unicodedata.category(m[0])[0] == "C" else m[0], text)
    return [_SPACES.sub(" ", line).strip() for line in text.split("\n") if line.strip()]


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


# where a long first sentence may end as a headline: before a clause of purpose, reason, ...
_CLAUSE = re.compile(
    r",\s|;\s|\s(?:untuk|yang|karena|setelah|sebelum|sehingga|agar|ketika|saat|to|which|"
    r"who|after|before|because|while|as)\s",
    re.IGNORECASE,
)
MIN_TITLE = 30  # characters a title cut at a clause keeps at least


def derive_title(text: str, limit: int = 90) -> str:
    """A readable title from the first sentence when the article has none: the sentence, or
    its main clause ("Presiden Rusia Vladimir Putin bertemu dengan Presiden Cina Xi Jinping"),
    or its first words up to `limit` characters and "…"."""
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    if len(first) <= limit:
        return first.rstrip(".")
    cuts = [m.start() for m in _CLAUSE.finditer(first[: limit + 1]) if m.start() >= MIN_TITLE]
    if cuts:
        return first[: cuts[-1]]
    return first[:limit].rsplit(" ", 1)[0] + "…"


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9_.-]+", "-", name.lower()).strip("-.")[:80]


# --- building articles ----------------------------------------------------------------------


def _make(
    doc_id: str,
    cleaned: Cleaned,
    path: str,
    *,
    title: str | None = None,
    url: str | None = None,
    published: str | None = None,
    source: str | None = None,
    author: str | None = None,
    language: str | None = None,
) -> Article:
    if not cleaned.text.strip():
        raise ArticleError(f"{path}: no article text after cleaning")
    return Article(
        doc_id=doc_id,
        title=title or cleaned.title or derive_title(cleaned.text),
        text=cleaned.text,
        source=source or cleaned.source or (_domain(url) if url else None) or _file_name(path),
        published=published or extract_date(cleaned.text),
        path=path,
        url=url,
        dateline=cleaned.dateline,
        author=author,
        language=language,
    )


def _file_name(path: str) -> str:
    return Path(re.sub(r":\d+$", "", path)).name  # a JSONL record's path is 'feed.jsonl:3'


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
    text = read_text(path, max_bytes)
    base_id = slug(path.stem) or "doc-" + hashlib.sha256(name.encode()).hexdigest()[:12]
    if suffix == ".jsonl":
        yield from _parse_jsonl(text, name, rules)
    elif suffix in (".html", ".htm"):
        yield article_from_html(text, name, rules, doc_id=base_id)
    else:
        yield _make(base_id, clean(text, rules), name)


def article_from_html(
    html: str, name: str, rules: Rules, url: str | None = None, *, doc_id: str | None = None
) -> Article:
    """The article of a web page (`rag.pages`), cleaned of news boilerplate like any text;
    `url` is where it was fetched from (its id and source when given)."""
    page = read_page(html, url)
    text = page.text
    first, _, rest = text.lstrip().partition("\n")
    if page.title and rest and _same_heading(first, page.title):  # the headline is no body
        text = rest
    cleaned = clean(text, rules, title_from_first_line=False)
    return _make(
        doc_id or url_id(url or name),
        cleaned,
        name,
        title=page.title,
        url=url or page.url,
        source=page.site,
        published=page.published,
        author=page.author,
        language=page.language,
    )


def _same_heading(line: str, title: str) -> bool:
    a, b = (" ".join(s.casefold().split()) for s in (line, title))
    return bool(a) and (a == b or (len(a) >= 12 and b.startswith(a)))


def url_id(url: str) -> str:
    """A readable, stable doc_id for a URL: host and path as a slug, plus a short hash of the
    whole URL (two pages of one site may slug alike)."""
    bare = re.sub(r"^[a-z]+://(?:www\.)?", "", url, flags=re.IGNORECASE)
    digest = hashlib.sha256(url.encode("utf-8", "replace")).hexdigest()[:8]
    return f"{slug(bare)[:80].strip('-')}-{digest}"


def _parse_jsonl(text: str, name: str, rules: Rules) -> Iterator[Article | Skipped]:
    for where, rec in jsonl_records(text, name):
        if isinstance(rec, str):
            yield Skipped(where, rec)
            continue
        try:
            # optional fields: strings only, one line, no control characters or lone surrogates
            meta = {
                k: " ".join(normalize(v)) or None if isinstance(v := rec.get(k), str) else None
                for k in ("title", "url", "published", "source")
            }
            doc_id = (
                slug(str(rec.get("doc_id") or ""))
                or "doc-" + hashlib.sha256(rec["text"].encode("utf-8", "replace")).hexdigest()[:12]
            )
            cleaned = clean(rec["text"], rules, title_from_first_line=False)
            yield _make(doc_id, cleaned, where, **meta)
        except (ValueError, ArticleError) as exc:
            yield Skipped(where, str(exc).removeprefix(f"{where}: "))


def load_articles(
    sources: Iterable[Path | str], rules: Rules, max_bytes: int = MAX_FILE_BYTES
) -> tuple[list[Article], list[Skipped]]:
    """All articles under `sources`; every file or record that can't be used is a `Skipped`."""
    files, skipped = discover(sources)
    articles: list[Article] = []
    for f in files:
        try:
            for item in parse_file(f, rules, max_bytes):
                if isinstance(item, Article):
                    articles.append(item)
                else:
                    skipped.append(item)
        except ArticleError as exc:
            skipped.append(Skipped(str(f), str(exc).removeprefix(f"{f}: ")))
        except Exception as exc:  # one odd file must not stop the batch
            skipped.append(Skipped(str(f), f"cannot parse ({type(exc).__name__}: {exc})"))
    return articles, skipped
