"""File formats: finding article files, reading and decoding them, HTML text, JSONL records."""

from __future__ import annotations

import codecs
import glob
import json
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

from rag.errors import ArticleError

SUPPORTED = {".txt", ".md", ".markdown", ".html", ".htm", ".jsonl"}
MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


# --- discovery -------------------------------------------------------------------------------

_BROKEN = "broken link, target not found"
NOT_FOUND = "no such file or folder"
NO_MATCH = "no file matches"


def _why_not(p: Path) -> str | None:
    """None for a regular file (or a link to one), else why `p` is skipped."""
    try:
        if p.is_file():
            return None
        if p.exists():
            return "not a regular file"
        return _BROKEN if p.is_symlink() else NOT_FOUND
    except OSError as exc:
        return f"cannot read ({exc.strerror or exc})"


def _walk(root: Path, files: set[Path], skipped: list[Skipped]) -> None:
    """Files under `root`; hidden files and folders are ignored, links to folders not followed."""

    def unreadable(exc: OSError) -> None:
        skipped.append(Skipped(str(exc.filename or root), f"cannot read folder ({exc.strerror})"))

    for folder, dirs, names in os.walk(root, onerror=unreadable):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for f in (Path(folder, n) for n in sorted(names) if not n.startswith(".")):
            if (why := _why_not(f)) is None:
                files.add(f)
            else:
                skipped.append(Skipped(str(f), why))


def discover(sources: Iterable[Path | str]) -> tuple[list[Path], list[Skipped]]:
    """Expand files, folders (recursively) and globs into article files, sorted."""
    files: set[Path] = set()
    skipped: list[Skipped] = []
    for src in sources:
        src_str = str(src)
        # an existing path is a path, even with glob characters ("berita [1].txt")
        is_glob = any(c in src_str for c in "*?[") and not Path(src).exists()
        matches = (
            [Path(p) for p in sorted(glob.glob(src_str, recursive=True))]
            if is_glob
            else [Path(src)]
        )
        if not matches:
            skipped.append(Skipped(src_str, NO_MATCH))
        for p in matches:
            if p.is_dir():
                _walk(p, files, skipped)
            elif (why := _why_not(p)) is None:
                files.add(p)
            else:
                skipped.append(Skipped(str(p) if is_glob else src_str, why))
    return sorted(files), skipped


# --- reading ---------------------------------------------------------------------------------

_MAGIC = {
    b"%PDF": "PDF", b"PK\x03\x04": "ZIP/Office", b"\x89PNG\r\n": "PNG", b"\xff\xd8\xff": "JPEG",
    b"GIF87a": "GIF", b"GIF89a": "GIF", b"\x1f\x8b": "GZIP", b"\x7fELF": "ELF",
    b"\xd0\xcf\x11\xe0": "old Office",
}  # fmt: skip
_BOMS = (  # UTF-32 first: its little-endian BOM starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)  # fmt: skip
_CP1252_HOLES = re.compile(rb"([\x81\x8d\x8f\x90\x9d])")  # bytes cp1252 leaves undefined
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")  # all but \t \n \r \f


def _legacy_line(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:  # cp1252, with latin-1 for the bytes cp1252 can't decode
        parts = _CP1252_HOLES.split(line)
        return "".join(b.decode("latin-1" if i % 2 else "cp1252") for i, b in enumerate(parts))


def decode(data: bytes, name: str) -> str:
    """UTF-32/16 by BOM; UTF-8 (with or without BOM); else, line by line, UTF-8, cp1252 or
    latin-1 (so one odd line doesn't garble a UTF-8 file). Binary data is an error."""
    for magic, kind in _MAGIC.items():
        if data.startswith(magic):
            raise ArticleError(f"{name}: binary file ({kind}), not text")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise ArticleError(f"{name}: invalid {encoding.upper()} text") from exc
            break
    else:
        if b"\x00" in data[:8192]:
            raise ArticleError(f"{name}: binary file (NUL bytes), not text")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            lines = data.removeprefix(codecs.BOM_UTF8).splitlines(keepends=True)
            text = "".join(_legacy_line(line) for line in lines)
    if len(_CONTROL.findall(text)) > 0.1 * len(text):
        raise ArticleError(f"{name}: binary file (control characters), not text")
    return text


def read_text(path: Path, max_bytes: int = MAX_FILE_BYTES) -> str:
    """The decoded text of one file; a missing, odd, oversized, binary or empty file raises."""
    name = str(path)
    try:
        info = path.stat()
    except OSError as exc:
        why = _BROKEN if path.is_symlink() else f"cannot read ({exc.strerror or exc})"
        raise ArticleError(f"{name}: {why}") from exc
    if not stat.S_ISREG(info.st_mode):  # a FIFO or device could block or never end
        raise ArticleError(f"{name}: not a regular file")
    size, data = info.st_size, b""
    if size <= max_bytes:
        try:
            with path.open("rb") as fh:
                data = fh.read(max_bytes + 1)  # no more, even if it has grown since stat
        except OSError as exc:
            raise ArticleError(f"{name}: cannot read ({exc.strerror or exc})") from exc
        size = max(size, len(data))
    if size > max_bytes:
        raise ArticleError(f"{name}: {size:,} bytes is over the {max_bytes:,} byte limit")
    text = decode(data, name)
    if not text.strip():  # also a lone BOM, or UTF-16 whitespace
        raise ArticleError(f"{name}: empty file")
    return text


# --- HTML ------------------------------------------------------------------------------------


class _HTMLText(HTMLParser):
    # never article text: code, page chrome, embeds and form controls (comments never are)
    SKIP: ClassVar[set[str]] = set(
        "script style noscript template iframe object svg nav footer header aside form button "
        "select".split()
    )
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

    def parse_marked_section(self, i: int, report: bool = True) -> int:
        try:
            return super().parse_marked_section(i, report)
        except AssertionError:  # '<![foo[' raises in the stdlib parser: skip it like a comment
            return self.parse_bogus_comment(i)


def html_text(text: str) -> _HTMLText:
    """`text` parsed as HTML: its `parts`, `title` and `meta` tags."""
    parser = _HTMLText()
    parser.feed(text)
    parser.close()  # flushes text held back after the last tag
    return parser


# --- JSONL -----------------------------------------------------------------------------------


def jsonl_records(text: str, name: str) -> Iterator[tuple[str, dict[str, Any] | str]]:
    """('file:line', record) per non-blank line, or ('file:line', why) if it is no usable one."""
    # records end at "\n" only: str.splitlines would also cut at a raw U+2028 inside a string
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        where = f"{name}:{lineno}"
        try:
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"invalid JSON ({exc.msg}, column {exc.colno})") from exc
            except RecursionError as exc:
                raise ValueError("invalid JSON (nested too deeply)") from exc
            if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
                raise ValueError("expected an object with a string 'text'")
            if not rec["text"].strip():
                raise ValueError("empty 'text'")
        except ValueError as exc:
            yield where, str(exc)
        else:
            yield where, rec
