"""``lockme-sync check``, the release phase: only local problems fail it; Lockme or Google
being down, odd or disconnected is a warning, unless ``--strict``."""

from __future__ import annotations

import pytest

from tests.conftest import settings_env
from worker.ops.cli import main


@pytest.fixture
def env(monkeypatch, tmp_path, settings, runtime, fake_lockme, fake_google):
    """The process environment the CLI reads (and no stray .env from the checkout)."""
    monkeypatch.chdir(tmp_path)
    for key, value in settings_env(settings).items():
        monkeypatch.setenv(key, value)
    # As a deployment sets it (without it, check adds a note: pages answer only on localhost).
    monkeypatch.setenv("PUBLIC_URL", "https://sync.venue.example")


def check(capsys, *args: str) -> tuple[int, list[str]]:
    capsys.readouterr()
    code = main(["check", *args])
    return code, capsys.readouterr().out.splitlines()


def test_everything_answering_is_ok(env, capsys):
    code, lines = check(capsys)
    assert code == 0
    assert [line.split(":")[0] for line in lines] == ["ok    redis", "ok    lockme", "ok    google"]


def test_lockme_answering_503_warns(env, fake_lockme, capsys):
    fake_lockme.faults.add("GET", r"/test$", status=503)
    code, lines = check(capsys)
    assert code == 0
    assert any(line.startswith("warn  lockme: Lockme GET /test: 503") for line in lines)
    assert "ok    google: connected staff@example.com" in lines
    code, lines = check(capsys, "--strict")
    assert code == 1
    assert any(line.startswith("FAIL  lockme:") for line in lines)


@pytest.mark.parametrize(
    ("status", "body"), [(200, {"error": "maintenance"}), (404, {"message": "maintenance"})]
)
def test_lockme_answering_oddly_warns(status, body, env, fake_lockme, capsys):
    fake_lockme.faults.add("GET", r"/test$", status=status, body=body)
    code, lines = check(capsys)
    assert code == 0
    assert any(line.startswith("warn  lockme:") and "maintenance" in line for line in lines)


def test_services_stopped_warn(env, fake_lockme, fake_google, capsys):
    fake_lockme.stop()
    fake_google.stop()
    code, lines = check(capsys)
    assert code == 0
    assert [line[:13] for line in lines if not line.startswith("ok")] == [
        "warn  lockme:",
        "warn  google:",
    ]
    assert check(capsys, "--strict")[0] == 1


def test_lockme_disconnected_warns(env, fake_lockme, capsys):
    fake_lockme.revoke()
    code, lines = check(capsys)
    assert code == 0
    assert any(line.startswith("warn  lockme:") for line in lines)


def test_tokens_that_cannot_be_decrypted_fail(env, monkeypatch, capsys):
    monkeypatch.setenv("SECRET_KEY", "another-secret-key-of-forty-characters-x")
    monkeypatch.setenv("SECRET_KEY_FALLBACKS", "")
    code, lines = check(capsys)
    assert code == 1
    assert "FAIL  lockme: the stored token cannot be decrypted with SECRET_KEY" in "\n".join(lines)
    assert "FAIL  google: the stored token cannot be decrypted with SECRET_KEY" in "\n".join(lines)


def test_the_old_key_as_fallback_passes(env, settings, monkeypatch, capsys):
    monkeypatch.setenv("SECRET_KEY", "another-secret-key-of-forty-characters-x")
    monkeypatch.setenv("SECRET_KEY_FALLBACKS", settings.secret_key)
    code, lines = check(capsys)
    assert code == 0
    assert "ok    tokens: 2 re-encrypted with the current SECRET_KEY" in lines


def test_a_missing_setting_fails(env, monkeypatch, capsys):
    monkeypatch.delenv("WEBHOOK_SECRET")
    code, lines = check(capsys)
    assert code == 1
    assert "FAIL  config: WEBHOOK_SECRET is not set" in lines


def test_redis_down_fails(env, monkeypatch, capsys):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    code, lines = check(capsys)
    assert code == 1
    assert any(line.startswith("FAIL  redis:") for line in lines)
