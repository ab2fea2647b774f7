"""Words for people that code in ``worker`` writes, in each venue language.

The terminal prints history, and the status page shows it, in the same plain words: they
live here, where both can read them (``app`` imports ``worker``, never the reverse), and
``app.i18n`` adds them to the pages' texts.

What leaves the app (event titles' markers and description labels in Google Calendar, the
label of a block in Lockme's panel) is read by the venue's staff where the app cannot
translate it per reader: it follows the venue's language, ``VENUE_LANGUAGE``.
"""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("en", "pl")
# A venue's language when VENUE_LANGUAGE is not set: its time zone's country's, where that
# is a language the texts exist in, else English.
LANGUAGE_OF_TIMEZONE = {"Europe/Warsaw": "pl"}


def default_language(timezone: str) -> str:
    """The language of a venue in ``timezone`` (an IANA name) unless one is chosen."""
    return LANGUAGE_OF_TIMEZONE.get(timezone, "en")


@dataclass(frozen=True)
class VenueWords:
    """The texts the app writes into Google Calendar and Lockme, in one language.

    Polish keeps two words apart that English keeps apart too: an unpaid hold is a
    *rezerwacja nieopłacona*, a slot closed from a calendar a *blokada z kalendarza*.
    """

    hold_marker: str
    block_label: str
    reservation: str
    people: str
    phone: str
    email: str
    price: str
    payment: str
    source: str
    paid: str
    unpaid: str
    comment_heading: str
    room: str  # with {id}: a room whose name is not known
    booking: str  # with {id}: a title left empty by its template


VENUE_WORDS = {
    "en": VenueWords(
        hold_marker="⏳ Unpaid hold · ",
        block_label="Blocked in Google Calendar",
        reservation="Lockme reservation",
        people="People",
        phone="Phone",
        email="Email",
        price="Price",
        payment="Payment",
        source="Source",
        paid="paid",
        unpaid="unpaid",
        comment_heading="Customer's comment (as written):",
        room="Room {id}",
        booking="Booking {id}",
    ),
    "pl": VenueWords(
        hold_marker="⏳ Rezerwacja nieopłacona · ",
        block_label="Blokada z kalendarza Google",
        reservation="Rezerwacja Lockme",
        people="Osoby",
        phone="Telefon",
        email="E-mail",
        price="Cena",
        payment="Płatność",
        source="Źródło",
        paid="opłacona",
        unpaid="nieopłacona",
        comment_heading="Komentarz klienta (dosłownie):",
        room="Pokój {id}",
        booking="Rezerwacja {id}",
    ),
}

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


# Why a message failed, per ``worker.domain.causes.CAUSES``, as ``why_<cause>``.
FAILURE_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "why_bad_message": "Lockme sent a booking message the app cannot read.",
        "why_message_gone": "Lockme no longer has this message.",
        "why_rate_limited": "Google asked the app to slow down.",
        "why_calendar_forbidden": "The connected Google account may not write to this calendar.",
        "why_calendar_missing": "The room's calendar no longer exists or is not shared any more.",
        "why_unreachable": "Lockme or Google did not answer, even after several tries.",
        "why_unknown": "The booking could not be synced.",
    },
    "pl": {
        "why_bad_message": (
            "Lockme przysłał wiadomość o rezerwacji, której aplikacja nie potrafi odczytać."
        ),
        "why_message_gone": "Lockme nie ma już tej wiadomości.",
        "why_rate_limited": "Google poprosił aplikację o zwolnienie tempa.",
        "why_calendar_forbidden": "Połączone konto Google nie może zapisywać w tym kalendarzu.",
        "why_calendar_missing": "Kalendarz pokoju już nie istnieje albo przestał być udostępniony.",
        "why_unreachable": "Lockme albo Google nie odpowiedział mimo kilku prób.",
        "why_unknown": "Nie udało się zsynchronizować rezerwacji.",
    },
}


def history_word(kind: str, code: object, language: str = "en") -> str:
    """An action's or result's words (``kind`` is ``action`` or ``result``); an unknown
    code (one a later release records) is shown as it is."""
    return HISTORY_WORDS[language].get(f"{kind}_{code}", str(code))
