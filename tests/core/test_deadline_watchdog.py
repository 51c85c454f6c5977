"""The deadline watchdog holds the deadlines still armed, not every one a process ever cancelled."""

from __future__ import annotations

import time

from synapse_sdk.security import deadlines


def test_cancelled_deadlines_do_not_pile_up_and_live_ones_still_fire():
    watchdog = deadlines._WATCHDOG
    armed = [deadlines.Deadline(300) for _ in range(10)]
    for deadline in armed:
        with deadline.active():
            pass
    soon = deadlines.Deadline(0.3)
    with soon.active():
        pass
    # Every HTTP request arms a total deadline (300 s by default) and cancels it when done: 20,000 requests.
    for _ in range(20_000):
        request = deadlines.Deadline(300)
        with request.active():
            pass
        request.cancel()
    assert len(watchdog._heap) <= 2 * 11 + deadlines._PURGE_MIN
    deadline = time.monotonic() + 10
    while not soon.expired and time.monotonic() < deadline:
        time.sleep(0.01)
    assert soon.expired  # purging kept the deadline that was still armed
    assert not any(d.expired for d in armed)
    for deadline in armed:
        deadline.cancel()
