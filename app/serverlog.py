"""gunicorn's own log lines, with the webhook secret and the OAuth code and state cut out.

The webhook secret travels in the URL (``?secret=``, as Lockme's integration requires), as
do an OAuth callback's ``code`` (one use, but a grant until then) and ``state``; gunicorn
writes the request's URL into its logs: the access log's ``%(r)s`` and ``%(q)s``,
and the error log's "Error handling request /webhooks/lockme?secret=…" for any exception
that reaches it. :class:`Logger` (``logger_class`` in ``gunicorn.conf.py``) filters both
logs, whatever format an operator chooses with ``GUNICORN_CMD_ARGS``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn import glogging

SECRET_IN_URL = re.compile(r"(\b(?:secret|code|state)(?:=|%3D))[^&\s\"'#]*", re.IGNORECASE)
REDACTED = "[redacted]"


class RedactSecrets(logging.Filter):
    """Rewrite a record whose text carries ``secret=``, ``code=`` or ``state=`` with the
    value replaced."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = SECRET_IN_URL.sub(rf"\g<1>{REDACTED}", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


REDACT = RedactSecrets()


class NameTheAddress(logging.Filter):
    """Fill in the address of gunicorn's "Listening at: %s (%s)" start-up line.

    With ``reuse_port`` each worker opens its own socket and the arbiter none, so the
    arbiter's line came out as "Listening at:  (PID)", naming no address."""

    TEMPLATE = "Listening at: %s (%s)"

    addresses = ""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if record.msg == self.TEMPLATE and isinstance(args, tuple) and not args[0]:
            record.args = (f"{self.addresses} (a socket per worker)", *args[1:])
        return True


# One object, like REDACT: gunicorn's loggers are process-wide, and a filter added twice
# would apply twice.
NAME_THE_ADDRESS = NameTheAddress()


class Logger(glogging.Logger):
    """gunicorn's logger with :class:`RedactSecrets` on its error and access logs."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            log.addFilter(REDACT)  # the same filter object is never added twice
        NAME_THE_ADDRESS.addresses = ",".join(f"http://{address}" for address in cfg.bind)
        self.error_log.addFilter(NAME_THE_ADDRESS)
