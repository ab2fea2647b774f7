"""The webhook secret never reaches a log line, gunicorn's own included."""

from __future__ import annotations

import runpy
import threading
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from app.serverlog import REDACTED
from tests.conftest import WEBHOOK_SECRET, settings_env
from worker.config import Settings
from worker.ops import logs

ROOT = Path(__file__).resolve().parent.parent
URL = f"/webhooks/lockme?secret={WEBHOOK_SECRET}&x=1"


def test_gunicorn_conf_installs_the_redacting_logger(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in settings_env(settings).items():
        monkeypatch.setenv(key, value)
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert conf["logger_class"] == "app.serverlog.Logger"


def test_gunicorn_error_and_access_lines_carry_no_secret(tmp_path: Path) -> None:
    cfg = Config()
    cfg.set("logger_class", "app.serverlog.Logger")
    cfg.set("errorlog", str(tmp_path / "error.log"))
    cfg.set("accesslog", str(tmp_path / "access.log"))
    # An operator's format with the raw request line and the query string.
    cfg.set("access_log_format", '%(h)s "%(r)s" %(q)s %(s)s')
    logger = cfg.logger_class(cfg)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        # What gunicorn's worker logs for an exception that reaches it (workers/base.py).
        logger.exception("Error handling request %s %s", "POST", URL)
    logger.error("Invalid request from ip=1.2.3.4: Invalid Request Line 'GET %s'", URL)
    path, query = URL.split("?")
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": URL,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.1",
    }
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    request = SimpleNamespace(headers=[])
    logger.access(response, request, environ, timedelta(seconds=0))
    for handler in [*logger.error_log.handlers, *logger.access_log.handlers]:
        handler.flush()
    error_log = (tmp_path / "error.log").read_text()
    access_log = (tmp_path / "access.log").read_text()
    assert "Error handling request POST /webhooks/lockme?secret=" in error_log
    assert "Traceback" in error_log and "boom" in error_log
    assert "POST /webhooks/lockme?secret=" in access_log
    for text in (error_log, access_log):
        assert WEBHOOK_SECRET not in text
        assert REDACTED in text


@pytest.mark.parametrize(
    "text",
    ["a" * 200_000, ("a" * 50 + ".") * 4_000, "x@" * 100_000, "+1" * 100_000, "a@b." * 50_000],
    ids=["word", "dotted words", "at signs", "plus digits", "dotted at signs"],
)
def test_the_scrubber_is_linear_in_the_texts_length(text: str) -> None:
    """Issue 19: the e-mail pattern took 21 s on one 60,000-character reason phrase, and
    four minutes on 200,000 (quadratic). Bounded repeats make it milliseconds; the 30 s
    below only keeps a regression from hanging the suite, it measures nothing."""
    done = threading.Event()

    def run() -> None:
        logs.scrub(text)
        done.set()

    threading.Thread(target=run, daemon=True).start()
    assert done.wait(30), "scrub did not finish: quadratic again"


def test_the_bounded_patterns_still_scrub_contact_data() -> None:
    text = "mail jan.kowalski@mail.example.co.uk or +48 600 100 200, id 123456789"
    assert logs.scrub(text) == "mail [email] or [phone], id 123456789"


def test_the_access_log_carries_no_oauth_code_or_state(tmp_path: Path) -> None:
    cfg = Config()
    cfg.set("logger_class", "app.serverlog.Logger")
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("access_log_format", '%(h)s "%(r)s" %(q)s %(s)s')
    logger = cfg.logger_class(cfg)
    code, state = "4/0AVMBsJj-secret-grant", "Xyz-state-8f2a"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/oauth/google/callback?state={state}&code={code}&scope=x",
        "PATH_INFO": "/oauth/google/callback",
        "QUERY_STRING": f"state={state}&code={code}&scope=x",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.1",
    }
    response = SimpleNamespace(status="302 FOUND", sent=0, headers=[])
    logger.access(response, SimpleNamespace(headers=[]), environ, timedelta(seconds=0))
    for handler in logger.access_log.handlers:
        handler.flush()
    line = (tmp_path / "access.log").read_text()
    assert "/oauth/google/callback?" in line and "scope=x" in line
    assert code not in line and state not in line


def test_gunicorn_names_its_address_when_each_worker_has_its_socket(tmp_path: Path) -> None:
    cfg = Config()
    cfg.set("logger_class", "app.serverlog.Logger")
    cfg.set("errorlog", str(tmp_path / "error.log"))
    cfg.set("bind", ["127.0.0.1:5000"])
    logger = cfg.logger_class(cfg)
    # What gunicorn's arbiter logs at start with reuse_port: it opens no socket itself.
    logger.info("Listening at: %s (%s)", "", 4242)
    for handler in logger.error_log.handlers:
        handler.flush()
    line = (tmp_path / "error.log").read_text()
    assert "Listening at: http://127.0.0.1:5000 (a socket per worker) (4242)" in line
