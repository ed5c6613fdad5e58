"""Polling and retry rules, driven with explicit clock readings (no sleeping)."""

from __future__ import annotations

import json

import pytest
import requests

from host.kaggle_api.outputs import log_tail
from host.kaggle_api.retry import (RetriesExhausted, RetryPolicy, call_with_retry,
                                     is_transient)
from host.kaggle_api.service import PushedVersion, SessionStatus
from host.kaggle_api.waiting import PollSettings, RunWatch

PUSHED = PushedVersion("alice/k-preprocess-00", 4, "https://www.kaggle.com/code/alice/k")
RUNNING, DONE, FAILED = SessionStatus("running"), SessionStatus("complete"), SessionStatus("error")


def watch(**settings) -> RunWatch:
    defaults = dict(first_interval=10.0, max_interval=60.0, timeout=3600.0, settle_seconds=30.0)
    return RunWatch(PUSHED, PollSettings(**{**defaults, **settings}), now=0.0)


def test_finished_status_after_seeing_the_run_active_is_trusted_at_once():
    w = watch()
    assert w.observe(SessionStatus("queued"), 10) is None
    assert w.observe(RUNNING, 25) is None
    assert w.observe(DONE, 47) == DONE


@pytest.mark.parametrize("stale", [DONE, FAILED])
def test_a_finished_status_before_any_active_one_is_only_trusted_after_settling(stale):
    w = watch()
    assert w.observe(stale, 10) is None  # may be the previous run's status
    assert "may still be the previous run's status" in w.describe(10)
    assert w.next_poll <= 10 + 30  # checks again within the settle time
    assert w.observe(stale, 20) is None
    assert w.observe(RUNNING, 30) is None  # it was stale: the new run is running
    assert w.observe(DONE, 50) == DONE


def test_a_run_that_finishes_between_polls_is_accepted_once_settled():
    w = watch()
    assert w.observe(DONE, 10) is None
    assert w.observe(DONE, 39) is None
    assert w.observe(DONE, 40) == DONE


def test_a_changing_unconfirmed_status_restarts_the_settle_time():
    w = watch()
    assert w.observe(FAILED, 10) is None  # the previous run's error...
    assert w.observe(DONE, 35) is None  # ...then a different finished status
    assert w.observe(DONE, 60) is None
    assert w.observe(DONE, 65) == DONE


def test_polls_back_off_up_to_the_maximum_and_stop_at_the_timeout():
    w = watch(first_interval=10.0, max_interval=40.0, timeout=200.0)
    gaps, now = [], 10.0
    for _ in range(8):
        w.observe(RUNNING, now)
        gaps.append(round(w.next_poll - now, 2))
        now = w.next_poll
    assert gaps[:4] == [15.0, 22.5, 33.75, 40.0] and max(gaps) == 40.0
    assert w.next_poll <= 200.0 and w.timed_out(200.0) and not w.timed_out(199.0)


def test_settle_zero_trusts_at_once():
    assert watch(settle_seconds=0.0).observe(DONE, 10) == DONE


@pytest.mark.parametrize("settings, words", [
    ({"first_interval": 0}, "first_interval = 0: expected a number > 0"),
    ({"backoff": 0.5}, "backoff = 0.5: expected a number >= 1"),
])
def test_poll_settings_are_validated(settings, words):
    with pytest.raises(ValueError, match=words):
        PollSettings(**settings)


def http_error(status: int, retry_after: str | None = None) -> requests.HTTPError:
    response = requests.Response()
    response.status_code = status
    if retry_after is not None:
        response.headers["Retry-After"] = retry_after
    return requests.HTTPError(f"{status} error", response=response)


@pytest.mark.parametrize("exc, transient", [
    (http_error(429), True), (http_error(500), True), (http_error(503), True),
    (http_error(404), False), (http_error(401), False), (requests.ConnectTimeout(), True),
    (requests.ReadTimeout(), True), (requests.ConnectionError(), True), (ValueError("x"), False),
    (requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead"), True),
    (requests.exceptions.ContentDecodingError("Received response with content-encoding: gzip, "
                                              "but failed to decode it"), True),
])
def test_what_counts_as_transient(exc, transient):
    assert is_transient(exc) is transient


def test_retries_back_off_exponentially_with_jitter_within_bounds():
    policy = RetryPolicy(retries=6, base_seconds=1.0, max_seconds=8.0, jitter=0.5)
    for attempt, ceiling in enumerate([1, 2, 4, 8, 8, 8], start=1):
        delays = [policy.delay(attempt) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1  # jittered
    assert policy.delay(1, retry_after=3.0) == 3.0
    assert policy.delay(1, retry_after=600.0) == 8.0  # Retry-After is capped too


def test_call_with_retry_recovers_then_gives_up_with_the_last_error():
    sleeps, notes = [], []
    errors = [http_error(500), http_error(429, retry_after="2")]

    def flaky():
        if errors:
            raise errors.pop(0)
        return "ok"

    policy = RetryPolicy(retries=3, base_seconds=0.5, max_seconds=4.0, jitter=0.0)
    assert call_with_retry(flaky, what="push x", policy=policy, on_retry=notes.append,
                           sleep=sleeps.append) == "ok"
    assert sleeps == [0.5, 2.0] and "retry 1/3" in notes[0] and "429" in notes[1]

    def storm():
        raise http_error(429)

    sleeps.clear()
    with pytest.raises(RetriesExhausted, match=r"push x: gave up after 4 attempts.*429"):
        call_with_retry(storm, what="push x", policy=policy, sleep=sleeps.append)
    assert sleeps == [0.5, 1.0, 2.0]


@pytest.mark.parametrize("recorded_after", [1, 2, 4, None])
def test_recover_ends_the_retries_once_the_call_is_found_to_have_taken_effect(recorded_after):
    """``recover`` runs after every transient failure, the last one too."""
    calls, checks = [], []

    def lost_answer():
        calls.append(1)
        raise http_error(500)

    def recover():
        checks.append(1)
        return "found it" if len(calls) == recorded_after else None

    policy = RetryPolicy(retries=3, base_seconds=0.5, jitter=0.0)
    if recorded_after is None:
        with pytest.raises(RetriesExhausted, match="gave up after 4 attempts"):
            call_with_retry(lost_answer, what="submit", policy=policy, sleep=lambda s: None,
                            recover=recover)
        assert len(calls) == 4 and len(checks) == 4
    else:
        assert call_with_retry(lost_answer, what="submit", policy=policy, sleep=lambda s: None,
                               recover=recover) == "found it"
        assert len(calls) == recorded_after == len(checks)


def test_permanent_errors_are_not_retried():
    calls = []

    def refused():
        calls.append(1)
        raise http_error(403)

    with pytest.raises(requests.HTTPError):
        call_with_retry(refused, what="x", policy=RetryPolicy(), sleep=lambda s: None)
    assert len(calls) == 1


def test_log_tail_reads_kaggle_json_logs_and_plain_text():
    events = [{"stream_name": "stdout", "time": i, "data": f"line {i}\n"} for i in range(60)]
    tail = log_tail(json.dumps(events), lines=3)
    assert tail == "line 57\nline 58\nline 59"
    assert log_tail("a\nb\nc\n", lines=2) == "b\nc"
    assert log_tail("") == "(the log is empty)"
