"""The settings that point the product at a running pair of models of Lockme and Google."""

from __future__ import annotations

from worker.sandbox.fake_google import FakeGoogle
from worker.sandbox.fake_lockme import FakeLockme


def service_environment(lockme: FakeLockme, google: FakeGoogle) -> dict[str, str]:
    """Each service's client and URLs, as environment variables (the setting names in
    capitals): the sandbox's processes, the test suite and the benchmarks use the same."""
    return {
        "LOCKME_CLIENT_ID": lockme.client_id,
        "LOCKME_CLIENT_SECRET": lockme.client_secret,
        "LOCKME_API_URL": lockme.url,
        "GOOGLE_CLIENT_ID": google.client_id,
        "GOOGLE_CLIENT_SECRET": google.client_secret,
        "GOOGLE_AUTH_URI": f"{google.url}/o/oauth2/auth",
        "GOOGLE_TOKEN_URI": f"{google.url}/token",
        "GOOGLE_CALENDAR_API_URL": f"{google.url}/calendar/v3/",
    }
