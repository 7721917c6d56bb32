"""The `rag` command, run as a real subprocess against real indexes."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from rag.articles import Article
from tests.helpers import CHIP_SENTENCE, SEEDS, Reply, site


def rag(*args: str, index_dir: Path, cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RAG_INDEX_DIR": str(index_dir), "RAG_LLM": "none", **extra}
    env.pop("RAG_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", *args],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=300,
    )  # fmt: skip


def test_ask_json_proves_its_answer(
    seed_index_dir: Path, seed_article: Article, tmp_path: Path
) -> None:
    out = rag(
        "ask", "--json", "what chip limits apply to China?", index_dir=seed_index_dir, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) >= {"question", "answer", "abstained", "citations"}
    assert data["abstained"] is False and "14nm" in data["answer"]
    keys = {
        "n",
        "doc_id",
        "title",
        "source",
        "published",
        "quote",
        "char_start",
        "char_end",
        "score",
    }
    for c in data["citations"]:
        assert set(c) >= keys
        assert c["quote"] == seed_article.text[c["char_start"] : c["char_end"]]
    assert CHIP_SENTENCE in data["citations"][0]["quote"]


def test_ask_text_and_abstention(seed_index_dir: Path, tmp_path: Path) -> None:
    out = rag("ask", "Apa batasan chip untuk China?", index_dir=seed_index_dir, cwd=tmp_path)
    assert out.returncode == 0 and "[1]" in out.stdout and "detikINET, 2023-03-24" in out.stdout
    out = rag(
        "ask", "--json", "How much does an Nvidia H100 cost in Russia?",
        index_dir=seed_index_dir, cwd=tmp_path,
    )  # fmt: skip
    data = json.loads(out.stdout)
    assert data["abstained"] is True and data["citations"] == []


def test_index_command_reports_and_is_incremental(tmp_path: Path) -> None:
    index_dir = tmp_path / "idx"
    first = rag("index", str(SEEDS), index_dir=index_dir, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "1 added" in first.stdout and "index: 1 articles" in first.stdout
    second = rag("index", str(SEEDS), index_dir=index_dir, cwd=tmp_path)
    assert "0 added" in second.stdout and "1 unchanged" in second.stdout


def test_index_command_fetches_urls(tmp_path: Path) -> None:
    body = "<p>" + CHIP_SENTENCE + "</p><p>Aturan itu berlaku sejak Oktober 2022.</p>"
    page = f"<html><head><title>Batas chip Cina</title></head><body>{body}</body></html>"
    with site({"/chip": Reply(page.encode())}) as web:
        url = web.url + "/chip"
        out = rag("index", url, web.url + "/hilang", index_dir=tmp_path / "idx", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "1 added" in out.stdout and "1 skipped" in out.stdout
    assert f"skipped: {web.url}/hilang: HTTP 404 Not Found" in " ".join(out.stdout.split())


def test_errors_are_one_line_and_exit_1(tmp_path: Path) -> None:
    out = rag("ask", "anything?", index_dir=tmp_path / "empty", cwd=tmp_path)
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == [
        "error: nothing is indexed yet: run `rag index seeds/` first"
    ]
    out = rag("ask", "x", "--k", "0", index_dir=tmp_path / "empty", cwd=tmp_path)
    assert out.returncode == 1 and out.stderr.startswith("error: invalid setting top_k")
    assert "Traceback" not in out.stderr


def _one_error_line(out: subprocess.CompletedProcess[str]) -> str:
    assert out.returncode == 1, out.stdout + out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("ask",), "Missing argument 'question'. (see `rag ask --help`)"),
        (("foo",), "No such command 'foo'. (see `rag --help`)"),
        (("ask", "--bogus", "x"), "No such option: --bogus (see `rag ask --help`)"),
        (("eval",), "Missing option '--dataset'. (see `rag eval --help`)"),
    ],
)
def test_usage_errors_are_one_line(tmp_path: Path, args: tuple[str, ...], says: str) -> None:
    assert _one_error_line(rag(*args, index_dir=tmp_path, cwd=tmp_path)) == f"error: {says}"


def test_a_broken_index_folder_is_one_line(seed_index_dir: Path, tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    line = _one_error_line(rag("ask", "chip?", index_dir=a_file, cwd=tmp_path))
    assert line.endswith("is a file: set RAG_INDEX_DIR to a folder")
    emptied = tmp_path / "emptied"
    shutil.copytree(seed_index_dir, emptied)
    (emptied / "chroma" / "chroma.sqlite3").write_bytes(b"")
    line = _one_error_line(rag("ask", "chip?", index_dir=emptied, cwd=tmp_path))
    assert "is empty (0 bytes)" in line
    corrupt = tmp_path / "corrupt"
    shutil.copytree(seed_index_dir, corrupt)
    db = corrupt / "chroma" / "chroma.sqlite3"
    data = bytearray(db.read_bytes())
    data[100:20000] = b"\xff" * (20000 - 100)
    db.write_bytes(bytes(data))
    line = _one_error_line(rag("ask", "chip?", index_dir=corrupt, cwd=tmp_path))
    assert "the index is damaged (its SQLite file is corrupt)" in line


def test_an_empty_index_dir_setting_is_refused(tmp_path: Path) -> None:
    env = {**os.environ, "RAG_INDEX_DIR": "", "RAG_LLM": "none"}
    out = subprocess.run(
        [sys.executable, "-m", "rag.cli", "index", str(SEEDS)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert "RAG_INDEX_DIR=" in _one_error_line(out)
    assert list(tmp_path.iterdir()) == []  # nothing indexed into the current folder


def test_a_bad_rule_pattern_is_one_line(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('drop_lines = ["(unclosed"]\n')
    out = rag(
        "index", str(SEEDS), index_dir=tmp_path / "idx", cwd=tmp_path,
        RAG_EXTRA_BOILERPLATE_RULES=str(rules),
    )  # fmt: skip
    assert "bad pattern '(unclosed'" in _one_error_line(out)


def test_an_existing_path_with_brackets_is_a_path(tmp_path: Path) -> None:
    odd = tmp_path / "berita [1].txt"
    odd.write_text("Banjir melanda Medan. Ribuan warga mengungsi.", encoding="utf-8")
    out = rag("index", str(odd), index_dir=tmp_path / "idx", cwd=tmp_path)
    assert out.returncode == 0 and "1 added" in out.stdout, out.stderr
    missing = rag("index", str(tmp_path / "hilang.txt"), index_dir=tmp_path / "idx", cwd=tmp_path)
    assert "no file matches" in _one_error_line(missing)


def test_an_unreachable_llm_endpoint_answers_from_the_evidence(
    seed_index_dir: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "RAG_INDEX_DIR": str(seed_index_dir), "RAG_LLM": "openai",
           "RAG_OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "RAG_LLM_TIMEOUT": "5"}  # fmt: skip
    out = subprocess.run(
        [sys.executable, "-m", "rag.cli", "ask", "what chip limits apply to China?"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0 and "error" not in out.stderr, out.stderr
    assert "14nm" in out.stdout and "could not be reached" in out.stdout


def test_a_port_in_use_is_one_line(seed_index_dir: Path, tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {**os.environ, "RAG_INDEX_DIR": str(seed_index_dir), "RAG_LLM": "none"}
        out = subprocess.run(
            [sys.executable, "-m", "rag.cli", "serve", "--port", str(port)],
            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300,
        )  # fmt: skip
    assert "the port is in use" in _one_error_line(out)


def test_serving_beyond_loopback_needs_a_login(seed_index_dir: Path, tmp_path: Path) -> None:
    out = rag("serve", "--host", "0.0.0.0", index_dir=seed_index_dir, cwd=tmp_path)
    assert "refusing to serve on 0.0.0.0 without a login" in _one_error_line(out)


def test_config_file_is_read(seed_index_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "rag.toml").write_text('retriever = "bm25"\ntop_k = 99\n')
    out = rag("ask", "chip?", index_dir=seed_index_dir, cwd=tmp_path)
    assert out.returncode == 1 and "top_k" in out.stderr  # the file in cwd was applied


def test_help_shows_examples(tmp_path: Path) -> None:
    out = rag("--help", index_dir=tmp_path, cwd=tmp_path)
    assert out.returncode == 0 and 'rag ask "what chip limits apply to China?"' in out.stdout
    out = rag("ask", "--help", index_dir=tmp_path, cwd=tmp_path)
    assert "--json" in out.stdout


def test_eval_compares_retrievers_and_writes_reports(tmp_path: Path) -> None:
    gold = Path(__file__).resolve().parent.parent / "evals" / "gold"
    out = rag(
        "eval", "--dataset", str(gold), "--retriever", "dense", "--retriever", "hybrid",
        "--llm", "none", "--out", str(tmp_path / "out"),
        index_dir=tmp_path / "index", cwd=tmp_path,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    keys = {
        "recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "answer_exact_match",
        "answer_f1", "answer_supported", "citation_precision", "abstain_precision",
        "abstain_recall", "latency_p50_ms", "latency_p95_ms", "n_questions",
    }  # fmt: skip
    for mode in ("dense", "hybrid"):
        folder = tmp_path / "out" / "gold" / mode
        report = json.loads((folder / "report.json").read_text())
        assert keys <= set(report["summary"]) and report["settings"]["retriever"] == mode
        asked = len((gold / "questions.jsonl").read_text().splitlines())
        assert report["summary"]["n_questions"] == asked
        lines = (folder / "questions.jsonl").read_text().splitlines()
        assert len(lines) == asked and "retrieved" in json.loads(lines[0])
        assert "<svg" in (folder / "report.html").read_text()
    assert "recall@5" in out.stdout and "dense" in out.stdout and "hybrid" in out.stdout
    assert not (tmp_path / "index" / "chroma").exists()  # the user's index was not touched
