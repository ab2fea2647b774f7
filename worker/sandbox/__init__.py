"""The sandbox: working models of Lockme and Google Calendar served on loopback.

The test suite drives the product against them, and ``lockme-sync dev --sandbox`` lets a
newcomer see the product work without any account. They copy the real services' status
codes, error bodies, token expiry and refresh-token rotation.
"""

from worker.sandbox.fake_google import FakeGoogle
from worker.sandbox.fake_lockme import FakeLockme
from worker.sandbox.faults import FaultRule, Faults
from worker.sandbox.server import FakeServer

__all__ = ["FakeGoogle", "FakeLockme", "FakeServer", "FaultRule", "Faults"]
