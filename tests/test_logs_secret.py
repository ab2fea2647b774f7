"""The webhook secret never reaches a log line, gunicorn's own included."""

from __future__ import annotations

import runpy
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from app.serverlog import REDACTED
from tests.conftest import WEBHOOK_SECRET, settings_env
from worker.config import Settings

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
