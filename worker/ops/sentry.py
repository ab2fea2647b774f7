"""Optional error reporting to Sentry, switched on by ``SENTRY_DSN``.

``sentry-sdk`` is an optional extra (``pip install '.[sentry]'``) and is imported only when a
DSN is set, so a deployment without Sentry neither needs nor loads it. Bookings carry the
customer's name, e-mail and phone, so nothing personal may leave for a third party:
``send_default_pii=False`` keeps the SDK from adding users, cookies and bodies, local
variables are not captured at all (a frame's locals may hold a booking), and
:func:`before_send` runs every remaining string through the same scrubber as the logs.
"""

from __future__ import annotations

import logging
from typing import Any

from worker.config import Settings
from worker.ops import logs

log = logging.getLogger(__name__)
DROPPED_REQUEST_KEYS = ("cookies", "data", "env")
METADATA_KEYS = ("sdk", "contexts", "modules", "platform", "release", "environment")


def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Strip what may identify a customer or carry a secret, then scrub every string."""
    event.pop("user", None)
    request = event.get("request")
    if isinstance(request, dict):
        for key in DROPPED_REQUEST_KEYS:
            request.pop(key, None)
    # The SDK's own description of the process (its name, the OS, the runtime) uses keys
    # such as ``name`` that the key-based redaction would blank.
    metadata = {key: event.pop(key) for key in METADATA_KEYS if key in event}
    return {**logs.redact(event), **metadata}


def init(settings: Settings) -> bool:
    """Start the SDK with the Flask and RQ integrations; False when Sentry is not configured.

    A DSN without the package installed is logged, not fatal: error reporting must not keep
    the sync from running.
    """
    if not settings.sentry_dsn:
        return False
    try:
        import sentry_sdk
        from sentry_sdk.integrations.flask import FlaskIntegration
        from sentry_sdk.integrations.rq import RqIntegration
    except ImportError:
        log.warning("SENTRY_DSN is set but sentry-sdk is not installed: pip install '.[sentry]'")
        return False
    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        integrations=[FlaskIntegration(), RqIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=before_send,  # type: ignore[arg-type]
        before_send_transaction=before_send,  # type: ignore[arg-type]
    )
    return True
