"""The development ``.env`` file is read as a shell would read it (python-dotenv)."""

from __future__ import annotations

from pathlib import Path

import pytest

from worker.config import load_settings, read_dotenv


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
