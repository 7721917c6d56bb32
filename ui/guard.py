"""What the page may load (a Content-Security-Policy on every response) and how often one
client may try to log in: an ASGI middleware around Gradio's app."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Nothing remote: no image, script, style, font, frame or connection beyond this server.
# Gradio's page boots from inline scripts and styles, so those stay allowed (same origin).
CSP = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' data: blob:",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "font-src 'self' data:",
        "connect-src 'self'",
        "frame-src 'none'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


class LoginLimiter:
    """At most `attempts` failed logins per client in `window_s`; every attempt waits
    `delay_s` first, so guessing is slow even below the limit."""

    def __init__(self, attempts: int = 5, window_s: float = 60.0, delay_s: float = 0.5) -> None:
        self.attempts = attempts
        self.window_s = window_s
        self.delay_s = delay_s
        self._failed: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait_s(self, client: str, now: float | None = None) -> float:
        """Seconds until `client` may try again (0: now)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            fails = self._failed.get(client)
            while fails and now - fails[0] > self.window_s:
                fails.popleft()
            if not fails:
                self._failed.pop(client, None)
                return 0.0
            return self.window_s - (now - fails[0]) if len(fails) >= self.attempts else 0.0

    def failed(self, client: str, now: float | None = None) -> None:
        with self._lock:
            self._failed.setdefault(client, deque()).append(
                time.monotonic() if now is None else now
            )

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failed.pop(client, None)


class Guard:
    """Adds `HEADERS` to every HTTP response and applies `limiter` to `POST .../login`."""

    def __init__(self, app: ASGIApp, limiter: LoginLimiter | None = None) -> None:
        self.app = app
        self.limiter = limiter or LoginLimiter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status: list[int] = []

        async def send_guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
                message = {**message, "headers": [*message.get("headers", []), *HEADERS]}
            await send(message)

        login = scope.get("method") == "POST" and scope.get("path", "").rstrip("/").endswith(
            "/login"
        )
        if not login:
            await self.app(scope, receive, send_guarded)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        if (wait := self.limiter.wait_s(client)) > 0:
            await _too_many(send_guarded, wait)
            return
        await asyncio.sleep(self.limiter.delay_s)
        await self.app(scope, receive, send_guarded)
        if status and status[0] == 200:
            self.limiter.succeeded(client)
        elif status and status[0] in (400, 401, 403):
            self.limiter.failed(client)


async def _too_many(send: Send, wait: float) -> None:
    body = json.dumps(
        {"detail": f"Too many failed logins from this address; try again in {wait:.0f} s."}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/json"),
                (b"retry-after", str(max(1, round(wait))).encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
