"""Time limits of learner code (gru_edu.grading.limits): a loop in any thread is stopped, even one that swallows the interrupt."""

from __future__ import annotations

import threading
import time

import pytest

from gru_edu.grading import a1_cell, limits


def test_time_limit_stops_an_infinite_loop_in_main_and_other_threads():
    def forever():
        while True:
            try:
                pass
            except Exception:  # noqa: BLE001 - a learner's overly broad except
                pass

    start = time.monotonic()
    with pytest.raises(limits.TimeLimitExceeded):
        limits.call_with_time_limit(forever, seconds=0.3)
    assert time.monotonic() - start < 5
    box = {}

    def in_thread():
        try:
            limits.call_with_time_limit(time.sleep, 30, seconds=0.3)
        except limits.TimeLimitExceeded:
            box["stopped"] = True

    worker = threading.Thread(target=in_thread)
    worker.start()
    worker.join(10)
    assert box.get("stopped")
    assert limits.call_with_time_limit(sum, [1, 2], seconds=1) == 3


def test_time_limit_stops_a_loop_that_swallows_it():
    ns: dict = {}
    exec(compile("def stubborn():\n"
                 "    while True:\n"
                 "        try:\n"
                 "            while True:\n"
                 "                pass\n"
                 "        except BaseException:\n"
                 "            pass\n", "<learner>", "exec"), ns)
    with pytest.raises(limits.TimeLimitExceeded):
        limits.call_with_time_limit(ns["stubborn"], seconds=0.3)
    assert limits.call_with_time_limit(sum, [1, 2], seconds=1) == 3  # back to normal
    fb = a1_cell.check_relative_error(lambda a, b: ns["stubborn"](), seconds=0.3)
    assert fb.mistakes == ["timeout"], str(fb)

