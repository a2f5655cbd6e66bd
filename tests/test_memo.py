"""The per-process memo behind the callback gateway's account directory and the job bus's enablement cache: answers
expire after ``ttl``, ``forget`` drops them at once, and an expired key asked by many threads is loaded once."""

from __future__ import annotations

import threading
import time

from scrm.core.memo import Memo


def test_an_answer_is_reused_within_its_ttl_and_loaded_again_after():
    now = [100.0]
    loads = []
    memo = Memo(lambda key: loads.append(key) or f"{key}:{len(loads)}", ttl=2.0, clock=lambda: now[0])
    assert memo.get("a") == "a:1"
    now[0] += 1.99
    assert memo.get("a") == "a:1" and loads == ["a"]
    now[0] += 0.02
    assert memo.get("a") == "a:2" and loads == ["a", "a"]
    memo.forget()
    assert memo.get("a") == "a:3"


def test_threads_asking_for_a_key_being_loaded_wait_for_that_answer():
    started, release = threading.Event(), threading.Event()
    loads = []

    def load(key):
        loads.append(key)
        started.set()
        assert release.wait(5)
        return f"answer {len(loads)}"

    memo = Memo(load)
    answers = []
    first = threading.Thread(target=lambda: answers.append(memo.get("account 7")))
    first.start()
    assert started.wait(5)
    others = [threading.Thread(target=lambda: answers.append(memo.get("account 7"))) for _ in range(8)]
    for thread in others:
        thread.start()
    time.sleep(0.2)  # the others reach the memo while the first load is still running
    release.set()
    for thread in (first, *others):
        thread.join(5)
    assert answers == ["answer 1"] * 9
    assert loads == ["account 7"]  # one load, not one per waiting thread


def test_a_failed_load_is_not_remembered_and_the_next_asker_loads_again():
    calls = []

    def load(key):
        calls.append(key)
        if len(calls) == 1:
            raise RuntimeError("database away")
        return "back"

    memo = Memo(load)
    try:
        memo.get("k")
    except RuntimeError:
        pass
    assert memo.get("k") == "back" and calls == ["k", "k"]


def test_keys_load_independently():
    release = threading.Event()
    memo = Memo(lambda key: release.wait(5) and key if key == "slow" else key)
    slow = threading.Thread(target=memo.get, args=("slow",))
    slow.start()
    assert memo.get("fast") == "fast"  # not held up by the other key's load
    release.set()
    slow.join(5)
    assert memo.get("slow") == "slow"
