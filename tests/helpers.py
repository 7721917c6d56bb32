"""Helpers shared by the tests (fixtures are in conftest.py)."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.language_models import SimpleChatModel
from langchain_core.messages import BaseMessage
from pydantic import Field

from evals.support import HashEmbeddings, free_port

if TYPE_CHECKING:
    from rag.service import RagService

__all__ = [
    "CHIP_SENTENCE", "CHROMIUM", "FLAGS", "REPO", "SEEDS", "HashEmbeddings", "Reply",
    "ScriptedChat", "Site", "free_port", "served", "site",
]  # fmt: skip

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
CHIP_SENTENCE = (
    "Sementara itu, China tunduk pada pembatasan produksi chip, yang hanya dapat membuat "
    "chip 14nm, DRAM 18nm, dan flash NAND 3D 128 lapis."
)
# the seed's first sentence
LEAD = (
    "Presiden Rusia Vladimir Putin bertemu dengan Presiden Cina Xi Jinping untuk berbicara "
    "tentang rencana mereka untuk menjadi mahir dalam teknologi informasi, keamanan dunia maya, "
    "dan kecerdasan buatan."
)
LEAD_EN = (
    "Russian President Vladimir Putin met Chinese President Xi Jinping to talk about their "
    "plans to become proficient in information technology, cybersecurity and artificial "
    "intelligence."
)
VISIT = "Pertemuan itu diadakan selama kunjungan tiga hari Presiden Jinping ke Moskow."
MODEL = (
    "Kedua presiden sepakat untuk membentuk model kerja sama baru di industri seperti "
    "kecerdasan buatan, internet of things, 5G, ekonomi digital, dan sejenisnya."
)

# the end-to-end tests drive Debian's chromium through Playwright
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@contextmanager
def served(service: RagService) -> Iterator[str]:
    """The app over `service` on a free loopback port, for the `with`: its URL."""
    from ui.app import launch

    port = free_port()
    demo = launch(service, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


@dataclass
class Reply:
    """What the test site answers on one path: a body, or a status; `slow` seconds first."""

    body: bytes | Callable[[], Iterator[bytes]] = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    location: str | None = None
    slow: float = 0.0
    length: int | None = None  # a declared Content-Length (else the body's; None: chunked)


@dataclass
class Site:
    """A real HTTP server on loopback: `routes` maps paths to replies; `hits` counts requests."""

    url: str
    routes: dict[str, Reply]
    hits: dict[str, int] = field(default_factory=dict)


@contextmanager
def site(routes: dict[str, Reply]) -> Iterator[Site]:
    """A loopback HTTP server serving `routes` (editable while it runs), for the `with`."""
    box: list[Site] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            s = box[0]
            s.hits[self.path] = s.hits.get(self.path, 0) + 1
            reply = s.routes.get(self.path, Reply(b"not found", "text/plain", 404))
            time.sleep(reply.slow)
            self.send_response(reply.status)
            if reply.location:
                self.send_header("Location", reply.location)
            self.send_header("Content-Type", reply.content_type)
            try:
                if callable(reply.body):
                    if reply.length is not None:
                        self.send_header("Content-Length", str(reply.length))
                    else:
                        self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for piece in reply.body():
                        if reply.length is None:
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                        else:
                            self.wfile.write(piece)
                    if reply.length is None:
                        self.wfile.write(b"0\r\n\r\n")
                else:
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a size or time limit): that is the point

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    box.append(Site(f"http://127.0.0.1:{server.server_address[1]}", routes))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box[0]
    finally:
        server.shutdown()
        server.server_close()


class ScriptedChat(SimpleChatModel):
    """A chat model that answers answer prompts ("Passages: ...") with `draft` and translates
    the sentences it knows (`known`), else echoes them (an echo fails the translation check)."""

    draft: str
    known: dict[str, str] = Field(default_factory=dict)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _call(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> str:
        text = str(messages[-1].content)
        if "Passages:" in text:
            return self.draft
        text = text.strip()  # known by its exact prompt, else without the terms hint
        return self.known.get(text, self.known.get(text.split("\n(")[0], text))
