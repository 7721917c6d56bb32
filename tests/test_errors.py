"""Errors that are not ours, named in one line: a full disk, a damaged index, the rest."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import pytest

from rag.catalog import check_index_folder
from rag.errors import ConfigError, describe


def test_a_full_disk_is_named_whatever_wraps_it() -> None:
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as inner:
            raise RuntimeError("Error in compaction: failed to apply logs") from inner
    except RuntimeError as outer:
        assert describe(outer).startswith("the disk is full: free some space")
    chroma_like = RuntimeError("Error in compaction: database or disk is full")
    assert describe(chroma_like).startswith("the disk is full")


def test_a_damaged_index_is_named() -> None:
    exc = sqlite3.DatabaseError("database disk image is malformed")
    assert describe(exc).startswith("the index is damaged")


def test_anything_else_is_one_line_with_its_type() -> None:
    line = describe(ValueError("first line\nsecond line"))
    assert line == "unexpected ValueError: first line (RAG_DEBUG=1 shows the traceback)"


def test_a_read_only_index_folder_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # root ignores file modes, so a read-only mount is simulated at os.access
    real = __import__("os").access
    monkeypatch.setattr(
        "rag.catalog.os.access", lambda p, mode: False if mode & 2 else real(p, mode)
    )
    with pytest.raises(ConfigError, match="is read-only: rag writes to it even to answer"):
        check_index_folder(tmp_path / "index")
