"""HTTP fakes of Lockme and Google served on loopback for tests."""

from .google import FakeGoogle
from .lockme import FakeLockme
from .server import FakeServer, FaultRule, Faults

__all__ = ["FakeGoogle", "FakeLockme", "FakeServer", "FaultRule", "Faults"]
