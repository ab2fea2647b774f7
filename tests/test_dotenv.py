"""The development ``.env`` file is read as a shell would read it (python-dotenv)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from worker.config import load_settings, read_dotenv
from worker.ops import devserver


def test_quotes_escapes_inline_comments_and_export(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(
        "# a comment line\n"
        "export ADMIN_PASSWORD='has # and spaces'\n"
        'WEBHOOK_SECRET="line\\tone"  # the secret\n'
        "PUBLIC_URL=https://x.example  # inline comment\n"
        "SECRET_KEY=$ECRET${NOT_EXPANDED}\n"
        "EMPTY=\n"
        "NO_VALUE\n",
        encoding="utf-8",
    )
    assert read_dotenv(path) == {
        "ADMIN_PASSWORD": "has # and spaces",
        "WEBHOOK_SECRET": "line\tone",
        "PUBLIC_URL": "https://x.example",
        "SECRET_KEY": "$ECRET${NOT_EXPANDED}",
        "EMPTY": "",
    }


def test_a_missing_file_is_no_variables(tmp_path: Path) -> None:
    assert read_dotenv(tmp_path / ".env") == {}


def test_the_environment_wins_over_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / ".env"
    path.write_text("VENUE_TIMEZONE=Europe/Berlin\nDEFAULT_DURATION_MINUTES=90 # rooms\n")
    monkeypatch.setenv("VENUE_TIMEZONE", "Europe/Prague")
    monkeypatch.delenv("DEFAULT_DURATION_MINUTES", raising=False)
    settings = load_settings(dotenv=path)
    assert settings.venue_timezone == "Europe/Prague"
    assert settings.default_duration_minutes == 90


def test_the_generated_env_file_is_readable_by_its_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 19: ``.env`` was written 0644 with the generated secrets."""
    for name in ("SECRET_KEY", "WEBHOOK_SECRET", "ADMIN_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    before = os.umask(0o022)  # the usual umask, under which open() makes a file 0644
    try:
        fresh = tmp_path / "fresh.env"
        assert devserver.ensure_env(fresh)
    finally:
        os.umask(before)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    assert set(read_dotenv(fresh)) == {"SECRET_KEY", "WEBHOOK_SECRET", "ADMIN_PASSWORD"}
    handmade = tmp_path / "handmade.env"
    handmade.write_text("LOG_LEVEL=DEBUG\n", encoding="utf-8")
    handmade.chmod(0o644)
    devserver.ensure_env(handmade)
    assert stat.S_IMODE(handmade.stat().st_mode) == 0o600
    assert read_dotenv(handmade)["LOG_LEVEL"] == "DEBUG"
