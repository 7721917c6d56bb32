"""Serving safely: no open bind beyond loopback, a login rate limit per client, a CSP on every
response, and article text that renders as text (never Markdown)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from rag.config import Settings
from rag.errors import ConfigError
from rag.schema import Answer, Citation
from rag.service import RagService
from tests.helpers import HashEmbeddings, free_port
from ui.app import check_exposure, is_loopback, launch
from ui.guard import CSP, LoginLimiter
from ui.views import escape, render


def test_loopback_hosts() -> None:
    assert all(map(is_loopback, ["127.0.0.1", "localhost", "::1", "127.0.0.2", "[::1]"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "192.168.1.5", "example.com"]))


def test_an_open_bind_beyond_loopback_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    open_ = Settings(index_dir=tmp_path)
    with pytest.raises(ConfigError, match=r"refusing to serve on 0\.0\.0\.0 without a login"):
        check_exposure(open_, "0.0.0.0")
    check_exposure(open_, "127.0.0.1")  # loopback: fine
    check_exposure(Settings(index_dir=tmp_path, ui_user="u", ui_password="p"), "0.0.0.0")
    assert capsys.readouterr().err == ""
    check_exposure(open_, "0.0.0.0", insecure_no_auth=True)
    assert "WITHOUT A LOGIN" in capsys.readouterr().err


def test_the_limiter_counts_failures_per_client_in_a_window() -> None:
    lim = LoginLimiter(attempts=3, window_s=60, delay_s=0)
    for t in range(3):
        assert lim.wait_s("a", now=t) == 0
        lim.failed("a", now=t)
    assert lim.wait_s("a", now=10) == pytest.approx(50)  # the first failure ages out at 60
    assert lim.wait_s("b", now=10) == 0  # another client
    assert lim.wait_s("a", now=60.5) == 0
    lim.succeeded("a")
    assert lim.wait_s("a", now=61) == 0


@pytest.fixture()
def guarded(tmp_path: Path) -> Iterator[str]:
    settings = Settings(
        index_dir=tmp_path, llm="none", ui_user="editor", ui_password="s3cret",
        ui_login_attempts=3, ui_login_delay_s=0.2,
    )  # fmt: skip
    port = free_port()
    demo = launch(RagService(settings, embeddings=HashEmbeddings()), "127.0.0.1", port,
                  prevent_thread_lock=True, quiet=True)  # fmt: skip
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        demo.close()


def _login(url: str, password: str, source: str = "127.0.0.1") -> httpx.Response:
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(transport=transport, timeout=10) as c:
        return c.post(url + "/login", data={"username": "editor", "password": password})


def test_logins_are_slowed_and_limited_per_client(guarded: str) -> None:
    t0 = time.monotonic()
    codes = [_login(guarded, f"guess{n}").status_code for n in range(5)]
    assert codes == [400, 400, 400, 429, 429]
    assert time.monotonic() - t0 >= 3 * 0.2  # every attempt that reached the check waited
    blocked = _login(guarded, "s3cret")  # even the right password, from this client, for now
    assert blocked.status_code == 429 and "try again in" in blocked.json()["detail"]
    assert int(blocked.headers["retry-after"]) > 0
    assert _login(guarded, "s3cret", source="127.0.0.2").status_code == 200  # another client


def test_every_response_carries_the_policy(guarded: str) -> None:
    for path in ("/", "/login", "/config"):
        response = httpx.get(guarded + path, timeout=10)
        assert response.headers["content-security-policy"] == CSP
        assert response.headers["x-content-type-options"] == "nosniff"
    assert "img-src 'self' data: blob:" in CSP and "frame-src 'none'" in CSP


HOSTILE = (
    "Harga naik ![t](http://evil.example/t.png) lihat [ini](javascript:alert(1)).\n\n"
    "<img src=x onerror=alert(2)> http://evil.example/auto **tebal** $x^2$ `kode`"
)


def test_escaped_text_has_no_markdown_left() -> None:
    out = escape(HOSTILE)
    for markup in ("![", "](", "<img", "http://", "javascript:", "**", "$", "`", "\n"):
        assert markup not in out
    assert out.count("<br>") == 2  # a blank line can't end the HTML block


def test_an_answer_quoting_hostile_text_renders_it_inert() -> None:
    cite = Citation(
        n=1, doc_id="d", title="Judul ![x](http://evil.example/x.png)", source="s",
        published="", quote=HOSTILE, char_start=0, char_end=len(HOSTILE), score=0.9,
    )  # fmt: skip
    answer = Answer(question="q", answer=HOSTILE + " [1]", abstained=False, citations=[cite])
    html = render(answer, "g1")
    links = re.findall(r"<a [^>]*href=\"([^\"]*)\"", html)
    assert links and set(links) == {"#src-g1-1"}  # the citation links are the only links
    assert html.count("<a ") == len(links) and "<img" not in html and "http://" not in html


@pytest.mark.parametrize(
    ("url", "linked"),
    [
        ("https://berita.example/dunia/putin", True),
        ("javascript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ('https://x.example/"onmouseover="alert(1)', False),
        (None, False),
    ],
)
def test_only_an_articles_own_web_page_is_linked(url: str | None, linked: bool) -> None:
    from ui.views import _origin

    cite = Citation(
        n=1, doc_id="d", title="t", source="s", published=None, quote="q", char_start=0,
        char_end=1, score=0.9, url=url,
    )  # fmt: skip
    out = _origin(cite)
    if linked:
        assert f'href="{url}"' in out and 'rel="noopener noreferrer"' in out
    else:
        assert out == ""
