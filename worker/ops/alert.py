"""One alert: a condition that needs a person, and the sentence staff read about it.

Its own module because both the sync's checks (``worker.ops.alerts``) and the blocks' report
(``worker.ops.blocks_report``) raise alerts, and the checks read the report: with the class in
either of them, each would need the other.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Alert:
    """One condition (the throttle's key) and the sentence staff read."""

    condition: str
    text: str
