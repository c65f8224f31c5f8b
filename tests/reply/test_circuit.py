"""Circuit breaker: open after N failures in a window, cool down, one probe closes it."""

from __future__ import annotations

import pytest

from wyoming_polytts.reply.circuit import CircuitBreaker, CircuitState, HealthBoard
from wyoming_polytts.reply.settings import CircuitSettings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


SETTINGS = CircuitSettings(failures=3, window=60.0, cooldown=30.0)


def breaker() -> tuple[CircuitBreaker, Clock]:
    clock = Clock()
    return CircuitBreaker("csm", SETTINGS, clock), clock


def test_opens_after_failures_within_the_window() -> None:
    circuit, clock = breaker()
    circuit.record_failure()
    circuit.record_failure()
    assert circuit.state is CircuitState.CLOSED and circuit.available()
    clock.now += 10
    circuit.record_failure()
    assert circuit.state is CircuitState.OPEN
    assert not circuit.available()


def test_failures_spread_beyond_the_window_do_not_open() -> None:
    circuit, clock = breaker()
    for _ in range(5):
        circuit.record_failure()
        clock.now += 31  # never 3 within 60 s
    assert circuit.state is CircuitState.CLOSED


def test_a_success_forgets_earlier_failures() -> None:
    circuit, _ = breaker()
    circuit.record_failure()
    circuit.record_failure()
    circuit.record_success()
    circuit.record_failure()
    assert circuit.state is CircuitState.CLOSED


def open_circuit() -> tuple[CircuitBreaker, Clock]:
    circuit, clock = breaker()
    for _ in range(3):
        circuit.record_failure()
    return circuit, clock


def test_half_open_after_the_cooldown_lets_one_probe_through() -> None:
    circuit, clock = open_circuit()
    clock.now += 29
    assert not circuit.available()
    clock.now += 2
    assert circuit.state is CircuitState.HALF_OPEN
    assert circuit.available()
    circuit.begin()  # the probe
    assert not circuit.available()  # others keep going to the fallback meanwhile
    circuit.record_success()
    assert circuit.state is CircuitState.CLOSED and circuit.available()


@pytest.mark.parametrize("probe_fails", [True, False], ids=["failed probe", "silent probe"])
def test_after_a_probe_the_engine_waits_another_cooldown(probe_fails: bool) -> None:
    """A failed probe opens the circuit again; a probe that never reports expires."""
    circuit, clock = open_circuit()
    clock.now += 31
    circuit.begin()
    if probe_fails:
        circuit.record_failure()
        assert circuit.state is CircuitState.OPEN
    clock.now += 29
    assert not circuit.available()
    clock.now += 2
    assert circuit.available()


def test_failures_while_open_do_not_extend_the_cooldown() -> None:
    circuit, clock = open_circuit()
    clock.now += 20
    circuit.record_failure()  # a reply that started before the circuit opened
    clock.now += 11
    assert circuit.available()


def test_board_keeps_one_breaker_per_engine() -> None:
    clock = Clock()
    board = HealthBoard(SETTINGS, clock)
    for _ in range(3):
        board["csm"].record_failure()
    assert board["csm"] is board["csm"]
    assert not board["csm"].available()
    assert board["kokoro"].available()


def test_a_success_while_open_does_not_close_the_circuit() -> None:
    """A reply that began before the circuit opened may still succeed: it proves nothing."""
    circuit, clock = open_circuit()
    clock.now += 5
    circuit.record_success()
    assert circuit.state is CircuitState.OPEN and not circuit.available()
