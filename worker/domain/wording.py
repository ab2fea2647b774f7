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

from worker.texts import Catalog, Text

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
HISTORY_WORDS: dict[str, Text] = {
    "action_add": (
        "new booking",
        "nowa rezerwacja",
    ),
    "action_edit": (
        "changed",
        "zmiana",
    ),
    "action_delete": (
        "cancelled",
        "odwołanie",
    ),
    "action_test": (
        "test message",
        "wiadomość testowa",
    ),
    "action_invalid": (
        "unreadable message",
        "nieczytelna wiadomość",
    ),
    "action_fail": (
        "failed",
        "błąd",
    ),
    "result_created": (
        "added to calendar",
        "dodano do kalendarza",
    ),
    "result_updated": (
        "updated",
        "zaktualizowano",
    ),
    "result_moved": (
        "moved to the room's calendar",
        "przeniesiono do kalendarza pokoju",
    ),
    "result_restored": (
        "restored",
        "przywrócono",
    ),
    "result_deleted": (
        "removed from calendar",
        "usunięto z kalendarza",
    ),
    "result_absent": (
        "was not in the calendar",
        "nie było w kalendarzu",
    ),
    "result_unchanged": (
        "already up to date",
        "już aktualne",
    ),
    "result_stale": (
        "skipped (a newer change came first)",
        "pominięto (nowsza zmiana była pierwsza)",
    ),
    "result_ignored": (
        "skipped (cancelled in Lockme)",
        "pominięto (odwołana w Lockme)",
    ),
    "result_tested": (
        "test received",
        "test odebrany",
    ),
    "result_duplicate": (
        "already done",
        "już zrobione",
    ),
    "result_failed": (
        "failed",
        "błąd",
    ),
    "result_hidden": (
        "unpaid hold, left out of the calendar",
        "rezerwacja nieopłacona, pominięta w kalendarzu",
    ),
    "action_block": (
        "block a slot",
        "blokada terminu",
    ),
    "action_unblock": (
        "free a slot",
        "zwolnienie terminu",
    ),
    "result_blocked": (
        "blocked in Lockme",
        "zablokowano w Lockme",
    ),
    "result_freed": (
        "block removed from Lockme",
        "usunięto blokadę z Lockme",
    ),
    "result_conflict": (
        "left alone: a customer holds the slot",
        "bez zmian: termin zajęty przez klienta",
    ),
    "result_own_block": (
        "the app's own block: nothing to change in the calendar",
        "własna blokada aplikacji: bez zmian w kalendarzu",
    ),
}


# Why a message failed, per ``worker.domain.causes.CAUSES``, as ``why_<cause>``.
FAILURE_WORDS: dict[str, Text] = {
    "why_bad_message": (
        "Lockme sent a booking message the app cannot read.",
        "Lockme przysłał wiadomość o rezerwacji, której aplikacja nie potrafi odczytać.",
    ),
    "why_message_gone": (
        "Lockme no longer has this message.",
        "Lockme nie ma już tej wiadomości.",
    ),
    "why_rate_limited": (
        "Google asked the app to slow down.",
        "Google poprosił aplikację o zwolnienie tempa.",
    ),
    "why_calendar_forbidden": (
        "The connected Google account may not write to this calendar.",
        "Połączone konto Google nie może zapisywać w tym kalendarzu.",
    ),
    "why_calendar_missing": (
        "The room's calendar no longer exists or is not shared any more.",
        "Kalendarz pokoju już nie istnieje albo przestał być udostępniony.",
    ),
    "why_unreachable": (
        "Lockme or Google did not answer, even after several tries.",
        "Lockme albo Google nie odpowiedział mimo kilku prób.",
    ),
    "why_unknown": (
        "The booking could not be synced.",
        "Nie udało się zsynchronizować rezerwacji.",
    ),
}


HISTORY = Catalog(HISTORY_WORDS)
FAILURES = Catalog(FAILURE_WORDS)


def history_word(kind: str, code: object, language: str = "en") -> str:
    """An action's or result's words (``kind`` is ``action`` or ``result``); an unknown
    code (one a later release records) is shown as it is."""
    key = f"{kind}_{code}"
    return HISTORY.text(key, language) if key in HISTORY else str(code)
