"""Turns at the model: order of arrival, the place in line, giving up, freeing the slot."""

from __future__ import annotations

import threading
import time

import pytest

from rag.slots import ModelQueue


def test_first_come_first_served_with_places_in_line() -> None:
    queue = ModelQueue(1)
    first, second, third = queue.join(), queue.join(), queue.join()
    assert first.admitted and first.ahead == 0
    assert not second.admitted and second.ahead == 0 and third.ahead == 1
    assert (queue.busy, queue.waiting) == (1, 2)
    first.release()
    assert second.admitted and not third.admitted and third.ahead == 0
    second.release()
    assert third.wait(0)
    third.release()
    assert (queue.busy, queue.waiting) == (0, 0)


def test_parallel_slots_admit_that_many() -> None:
    queue = ModelQueue(2)
    tickets = [queue.join() for _ in range(3)]
    assert [t.admitted for t in tickets] == [True, True, False]
    tickets[1].release()
    assert tickets[2].admitted


def test_waiting_gives_up_after_the_timeout_and_leaving_frees_the_place() -> None:
    queue = ModelQueue(1)
    holder, waiter, behind = queue.join(), queue.join(), queue.join()
    start = time.monotonic()
    assert not waiter.wait(0.2)
    assert time.monotonic() - start >= 0.19
    waiter.release()  # gives up its place: the one behind moves up
    assert behind.ahead == 0
    holder.release()
    assert behind.admitted and not waiter.admitted
    behind.release()
    holder.release()  # releasing twice is harmless
    assert queue.busy == 0


def test_a_waiter_is_woken_when_the_slot_frees() -> None:
    queue = ModelQueue(1)
    holder = queue.join()
    got: list[bool] = []
    with queue.join() as waiter:
        thread = threading.Thread(target=lambda: got.append(waiter.wait(5)))
        thread.start()
        time.sleep(0.05)
        holder.release()
        thread.join(2)
    assert got == [True] and queue.busy == 0  # leaving the `with` freed it


def test_slots_must_be_positive() -> None:
    with pytest.raises(ValueError):
        ModelQueue(0)
