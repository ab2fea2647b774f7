"""Every text on a Polish page comes from the Polish tables: a text left out of them (or
written into a template) shows in English, and this test names it.

The pages are walked as staff meet them in the sandbox (``lockme-sync dev``): setup, rooms,
status with a synced booking, a failure and a booking under way, help, the sandbox pages
and both consent screens. Each English text of the catalogs (``app.texts``' pages and
sandbox, ``worker.sandbox.consent_texts``) that differs from its Polish one
must appear nowhere in them, neither in what is read nor in labels for screen readers.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
import requests

from app.texts import PAGES, SANDBOX
from tests.conftest import ADMIN_PASSWORD
from tests.test_sandbox import csrf_from, dev_sandbox, eventually, sandbox_cli  # noqa: F401
from worker.sandbox import consent_texts
from worker.texts import Catalog

CATALOGS = {
    "app.texts (pages)": PAGES,
    "app.texts (sandbox)": SANDBOX,
    "worker.sandbox.consent_texts": consent_texts.CATALOG,
}
# Read by people: attribute values included (screen readers, phone labels, tooltips).
_ATTRIBUTES = re.compile(r'\b(?:aria-label|data-label|title|placeholder|alt|value)="([^"]*)"')


def _readable(page: str) -> str:
    shown = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    labels = " ".join(_ATTRIBUTES.findall(shown))
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", shown) + " " + labels))


def _english_fragments() -> dict[str, str]:
    """Each English text (split at its ``{placeholders}``) → the key it comes from, where
    the Polish text differs; fragments short enough to be names or numbers are left out."""
    found = {}
    for table, catalog in CATALOGS.items():
        polish = catalog.table("pl")
        for key, english in catalog.table("en").items():
            if polish[key] == english:
                continue
            for part in re.split(r"\{[^}]*\}", english):
                part = part.strip(" .:,()·–-")
                if len(part) >= 4 and re.search(r"[a-z]{3}", part):
                    found[part] = f"{table}: {key}"
    return found


def test_every_text_has_its_polish_one() -> None:
    for name, catalog in CATALOGS.items():
        english, polish = catalog.table("en"), catalog.table("pl")
        assert set(english) == set(polish), name
        assert all(polish.values()), f"{name} has an empty Polish text"


def test_a_catalog_refuses_a_text_without_polish_or_defined_twice() -> None:
    with pytest.raises(ValueError, match="needs en and pl"):
        Catalog({"greeting": ("Hello", "")})
    with pytest.raises(ValueError, match="defined twice"):
        Catalog({"greeting": ("Hello", "Cześć")}, {"greeting": ("Hi", "Hej")})
    one = Catalog({"greeting": ("Hello {name}", "Cześć {name}")})
    assert one.text("greeting", "pl", name="Ola") == "Cześć Ola"
    assert one.text("greeting", "de", name="Jo") == "Hello Jo"  # a language it lacks


def test_polish_pages_show_no_english_text(dev_sandbox: dict[str, Any]) -> None:  # noqa: F811
    run, web = dev_sandbox, requests.Session()
    base = run["base"]
    web.cookies.set("lang", "pl")
    token = csrf_from(web.get(base + "/login").text)
    web.post(base + "/login", data={"password": ADMIN_PASSWORD, "csrf_token": token})
    pages = {"/setup": web.get(base + "/setup").text}  # before anything is connected
    for provider in ("lockme", "google"):
        consent = web.get(f"{base}/setup/{provider}/connect")
        pages[f"consent {provider}"] = consent.text
    assert sandbox_cli(run, "connect").returncode == 0
    day = "2026-12-04"
    booked = sandbox_cli(run, "book", "--room", "5101", "--date", day, "--hour", "18:00")
    reservation = booked.stdout.strip()
    eventually(lambda: reservation in web.get(base + "/status").text)
    sandbox = web.get(base + "/sandbox").text
    web.post(
        base + "/sandbox/trouble",
        data={"csrf_token": csrf_from(sandbox), "kind": "google_revoked"},
    )
    waiting = sandbox_cli(run, "book", "--room", "5102", "--date", day, "--hour", "19:00")
    eventually(lambda: 'class="underway' in web.get(base + "/status").text)
    assert waiting.returncode == 0
    for path in ("/setup", "/setup/rooms", "/status", "/help", "/sandbox", "/sandbox/calendar"):
        answer = web.get(base + path, params={"week": day} if "calendar" in path else {})
        assert answer.status_code == 200, path
        pages[path] = answer.text
    assert all('lang="pl"' in page for page in pages.values())
    # Lockme's own words for a message's action are data, not table texts: shown in Polish.
    hooks = pages["/sandbox"][pages["/sandbox"].index('id="webhooks"') :]
    assert "· nowa rezerwacja" in _readable(hooks) and "· add" not in _readable(hooks)
    fragments = _english_fragments()
    english = {
        (where, fragment, key)
        for where, page in pages.items()
        for fragment, key in fragments.items()
        if re.search(rf"(?<![\w]){re.escape(fragment)}(?![\w])", _readable(page))
    }
    assert not english, "English on Polish pages:\n" + "\n".join(map(str, sorted(english)))
