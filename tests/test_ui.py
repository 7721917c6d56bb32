"""The chat page served for real on loopback, used through its API and its HTML."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest

from evals.bench_llm import free_port
from rag.service import RagService
from ui.app import launch


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


def test_chat_api_answers_with_citation(server: str) -> None:
    from gradio_client import Client

    client = Client(server, verbose=False)
    reply = client.predict("what chip limits apply to China?", api_name="/ask")
    text = reply if isinstance(reply, str) else str(reply)
    assert "14nm" in text and "[1]" in text and "detikINET" in text
    reply = client.predict("How much does an Nvidia H100 cost in Russia?", api_name="/ask")
    assert "don't say" in str(reply) and "Related passages" in str(reply)


def test_errors_are_messages_not_tracebacks(server: str) -> None:
    from gradio_client import Client

    reply = str(Client(server, verbose=False).predict("   ", api_name="/ask"))
    assert "question is empty" in reply and "Traceback" not in reply
