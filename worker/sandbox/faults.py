"""Fault injection for the fakes: a plan of rules, each naming the requests it hits and what
it does to them (an error status, a delay, a dropped connection, a timeout, a write applied
but answered with an error), so tests and chaos runs meet the failures of the real services
on purpose."""

from __future__ import annotations

import contextlib
import random
import re
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FaultRule:
    """One injected fault; ``hits`` counts how often it fired so tests can assert on it."""

    method: str | None
    path_regex: str
    status: int | None = None
    body: dict[str, Any] | None = None
    times: int | None = None
    probability: float = 1.0
    delay: float = 0.0
    drop_after_apply: bool = False
    timeout: bool = False
    headers: dict[str, str] | None = None
    hits: int = 0
    _pattern: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._pattern = re.compile(self.path_regex)

    def matches(self, method: str, path: str) -> bool:
        """Whether this rule targets the request, ignoring ``times`` and ``probability``."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self._pattern.search(path) is not None


class Faults:
    """Thread-safe fault plan consulted before every request a fake serves.

    A seeded random generator keeps probabilistic chaos runs reproducible.
    """

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._rng = random.Random(seed)
        self.latency: float = 0.0
        """Seconds from a request's arrival to its answer (the server's own work included,
        as with a real service's response time); may be changed at any time."""
        self.timeout_seconds: float = 30.0
        """How long a ``timeout`` rule holds the request (longer than any client timeout)."""

    def seed(self, seed: int) -> None:
        """Reseed the generator used for ``probability`` draws."""
        with self._lock:
            self._rng.seed(seed)

    def add(
        self,
        method: str | None,
        path_regex: str,
        *,
        status: int | None = None,
        body: dict[str, Any] | None = None,
        times: int | None = None,
        probability: float = 1.0,
        delay: float = 0.0,
        drop_after_apply: bool = False,
        timeout: bool = False,
        headers: dict[str, str] | None = None,
    ) -> FaultRule:
        """Append a rule; earlier rules win when several match the same request.

        ``drop_after_apply`` applies the request, then drops the connection, or, with a
        ``status``, answers that error instead (a write applied but answered 503).
        ``headers`` go on the error answer (e.g. ``Retry-After``).
        """
        rule = FaultRule(
            method=method,
            path_regex=path_regex,
            status=status,
            body=body,
            times=times,
            probability=probability,
            delay=delay,
            drop_after_apply=drop_after_apply,
            timeout=timeout,
            headers=headers,
        )
        with self._lock:
            self._rules.append(rule)
        return rule

    def remove(self, rule: FaultRule) -> None:
        """Withdraw one rule (no error if it is already gone)."""
        with self._lock, contextlib.suppress(ValueError):
            self._rules.remove(rule)

    def clear(self) -> None:
        """Drop every rule and the latency, e.g. to let the system recover in a chaos test."""
        with self._lock:
            self._rules.clear()
            self.latency = 0.0

    @property
    def rules(self) -> list[FaultRule]:
        """Snapshot of the current rules."""
        with self._lock:
            return list(self._rules)

    def pick(self, method: str, path: str) -> FaultRule | None:
        """Return the rule that fires for this request and consume one of its ``times``."""
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, path):
                    continue
                if rule.times is not None and rule.times <= 0:
                    continue
                if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                    continue
                if rule.times is not None:
                    rule.times -= 1
                rule.hits += 1
                return rule
        return None
