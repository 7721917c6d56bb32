"""Turns at the language model: a first-come, first-served queue with a place in line.

One local model writes one answer at a time (a server with parallel slots, several). A
question that waits knows how many are ahead of it, and gives up after a while (the chat
then answers from the evidence alone) instead of waiting without end.
"""

from __future__ import annotations

import threading
from collections import deque
from types import TracebackType


class Ticket:
    """One question's place in the queue; `release()` (or leaving a `with`) frees it."""

    def __init__(self, queue: ModelQueue) -> None:
        self._queue = queue
        self.admitted = False

    @property
    def ahead(self) -> int:
        """Questions before this one that are still waiting (0 once admitted)."""
        return self._queue._ahead(self)

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for a slot; True once admitted."""
        return self._queue._wait(self, timeout)

    def release(self) -> None:
        """Leave the queue or free the slot (idempotent)."""
        self._queue._leave(self)

    def __enter__(self) -> Ticket:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


class ModelQueue:
    """`slots` questions at the model at once, the rest wait in order of arrival."""

    def __init__(self, slots: int = 1) -> None:
        if slots < 1:
            raise ValueError("slots must be at least 1")
        self.slots = slots
        self._cond = threading.Condition()
        self._waiting: deque[Ticket] = deque()
        self._busy: set[int] = set()  # ids of admitted tickets

    def join(self) -> Ticket:
        """A place at the end of the line (admitted at once when a slot is free)."""
        ticket = Ticket(self)
        with self._cond:
            self._waiting.append(ticket)
            self._admit()
        return ticket

    @property
    def busy(self) -> int:
        with self._cond:
            return len(self._busy)

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._waiting)

    def _admit(self) -> None:  # holds the lock
        while self._waiting and len(self._busy) < self.slots:
            ticket = self._waiting.popleft()
            ticket.admitted = True
            self._busy.add(id(ticket))
        self._cond.notify_all()

    def _ahead(self, ticket: Ticket) -> int:
        with self._cond:
            if ticket.admitted:
                return 0
            try:
                return self._waiting.index(ticket)
            except ValueError:
                return 0

    def _wait(self, ticket: Ticket, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: ticket.admitted, timeout)

    def _leave(self, ticket: Ticket) -> None:
        with self._cond:
            if ticket.admitted:
                self._busy.discard(id(ticket))
            elif ticket in self._waiting:
                self._waiting.remove(ticket)
            self._admit()
