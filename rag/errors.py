"""The error hierarchy: every failure a user can cause or meet is a RagError."""

from __future__ import annotations

import errno
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class RagError(Exception):
    """Base class: a problem with a message that is safe to show a user as is."""


class ConfigError(RagError):
    """Settings are invalid or a config file cannot be read."""


class ArticleError(RagError):
    """An input file cannot be read as an article (empty, binary, bad format, ...)."""


class BackendUnavailable(RagError):
    """An optional backend was selected but its package or model is missing."""


class EmbeddingMismatch(RagError):
    """The index was built with another embedding model than the one configured."""


class IndexEmpty(RagError):
    """The question was asked before anything was indexed."""


class ModelError(RagError):
    """A packaged model cannot be downloaded, fails its checksum or cannot be unpacked."""


_DISK_FULL = ("No space left on device", "database or disk is full", "disk is full")
_DAMAGED = ("database disk image is malformed", "file is not a database", "file is encrypted")


def causes(exc: BaseException, limit: int = 10) -> list[BaseException]:
    """`exc` and what it was raised from or during, outermost first (at most `limit`)."""
    chain: list[BaseException] = []
    e: BaseException | None = exc
    while e is not None and len(chain) < limit:
        chain.append(e)
        e = e.__cause__ or e.__context__
    return chain


def describe(exc: BaseException) -> str:
    """One line for an error that is not a `RagError`: what went wrong and what to do. Known
    causes (a full disk, a damaged index, a refused connection) are named; else the type and
    the message's first line."""
    chain = causes(exc)
    text = " | ".join(str(x) for x in chain)
    if any(getattr(x, "errno", None) == errno.ENOSPC for x in chain) or any(
        m in text for m in _DISK_FULL
    ):
        return (
            "the disk is full: free some space and run again (the index keeps its last "
            "complete run)"
        )
    if any(m in text for m in _DAMAGED):
        return (
            "the index is damaged (its SQLite file is corrupt): restore a backup, or move the "
            "index folder away and run `rag index` again"
        )
    first = (str(exc).strip().splitlines() or [""])[0][:200]
    return f"unexpected {type(exc).__name__}: {first} (RAG_DEBUG=1 shows the traceback)"


LOW_DISK = 32 * 1024 * 1024  # bytes free under which a storage error is taken for a full disk


@contextmanager
def disk_errors(folder: Path) -> Iterator[None]:
    """Turn an error raised while the disk holding `folder` is (nearly) full into a `RagError`
    that says so: Chroma reports a full disk as "Error in compaction: Failed to apply logs"."""
    try:
        yield
    except RagError:
        raise
    except Exception as exc:
        try:
            free = shutil.disk_usage(folder if folder.exists() else folder.parent).free
        except OSError:
            raise exc from None
        if free >= LOW_DISK and not describe(exc).startswith("the disk is full"):
            raise
        raise RagError(
            f"the disk holding the index ({folder}) is full ({free // 1024:,} KB free): free "
            "some space and run again (the index keeps its last complete run)"
        ) from exc
