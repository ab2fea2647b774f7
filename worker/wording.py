"""Words for people that code in ``worker`` writes, in each venue language.

The terminal prints history, and the status page shows it, in the same plain words: they
live here, where both can read them (``app`` imports ``worker``, never the reverse), and
``app.i18n`` adds them to the pages' texts.
"""

from __future__ import annotations

LANGUAGES = ("en", "pl")

# What a history entry's ``action`` and ``result`` codes mean, as ``action_<code>`` and
# ``result_<code>``.
HISTORY_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "action_add": "new booking",
        "action_edit": "changed",
        "action_delete": "cancelled",
        "action_test": "test message",
        "action_invalid": "unreadable message",
        "action_fail": "failed",
        "result_created": "added to calendar",
        "result_updated": "updated",
        "result_moved": "moved to the room's calendar",
        "result_restored": "restored",
        "result_deleted": "removed from calendar",
        "result_absent": "was not in the calendar",
        "result_unchanged": "already up to date",
        "result_stale": "skipped (a newer change came first)",
        "result_ignored": "skipped (cancelled in Lockme)",
        "result_tested": "test received",
        "result_duplicate": "already done",
        "result_failed": "failed",
        "result_hidden": "unpaid hold, left out of the calendar",
        "action_block": "block a slot",
        "action_unblock": "free a slot",
        "result_blocked": "blocked in Lockme",
        "result_freed": "block removed from Lockme",
        "result_conflict": "left alone: a customer holds the slot",
        "result_own_block": "the app's own block: nothing to change in the calendar",
    },
    "pl": {
        "action_add": "nowa rezerwacja",
        "action_edit": "zmiana",
        "action_delete": "odwołanie",
        "action_test": "wiadomość testowa",
        "action_invalid": "nieczytelna wiadomość",
        "action_fail": "błąd",
        "result_created": "dodano do kalendarza",
        "result_updated": "zaktualizowano",
        "result_moved": "przeniesiono do kalendarza pokoju",
        "result_restored": "przywrócono",
        "result_deleted": "usunięto z kalendarza",
        "result_absent": "nie było w kalendarzu",
        "result_unchanged": "już aktualne",
        "result_stale": "pominięto (nowsza zmiana była pierwsza)",
        "result_ignored": "pominięto (odwołana w Lockme)",
        "result_tested": "test odebrany",
        "result_duplicate": "już zrobione",
        "result_failed": "błąd",
        "result_hidden": "rezerwacja nieopłacona, pominięta w kalendarzu",
        "action_block": "blokada terminu",
        "action_unblock": "zwolnienie terminu",
        "result_blocked": "zablokowano w Lockme",
        "result_freed": "usunięto blokadę z Lockme",
        "result_conflict": "bez zmian: termin zajęty przez klienta",
        "result_own_block": "własna blokada aplikacji: bez zmian w kalendarzu",
    },
}


def history_word(kind: str, code: object, language: str = "en") -> str:
    """An action's or result's words (``kind`` is ``action`` or ``result``); an unknown
    code (one a later release records) is shown as it is."""
    return HISTORY_WORDS[language].get(f"{kind}_{code}", str(code))
