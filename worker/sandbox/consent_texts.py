"""English and Polish texts of the sandbox's consent screens, and its banner.

The consent screens are served by the fakes themselves (on their own loopback ports, as
Lockme's and Google's are on their own sites), so their texts live here, beside them; the
app's sandbox pages take the banner from here too (``app.texts``), so it is
written once. The language is the one the app asked for (``hl``, as Google's own consent
screen reads it), else the browser's.
"""

from __future__ import annotations

from worker.texts import LANGUAGES, Catalog, Text

# Also the banner of the app's sandbox pages (``app.texts``): written once.
BANNER: dict[str, Text] = {
    "banner": (
        (
            "Sandbox: Lockme and Google Calendar here are built-in demos on this computer. "
            "Nothing reaches real bookings or calendars."
        ),
        (
            "Piaskownica: Lockme i Kalendarz Google są tu wbudowanymi atrapami na tym "
            "komputerze. Nic nie trafia do prawdziwych rezerwacji ani kalendarzy."
        ),
    ),
}

# key: (English, Polish)
TEXTS: dict[str, Text] = {
    "title": (
        "{service} (sandbox): allow access?",
        "{service} (piaskownica): zezwolić na dostęp?",
    ),
    "signed_in": (
        "Signed in as {account}.",
        "Zalogowano jako {account}.",
    ),
    "asks": (
        "Lockme → Google Calendar asks for access to:",
        "Lockme → Kalendarz Google prosi o dostęp do:",
    ),
    "scope_rooms_manage": (
        (
            "your rooms and their reservations, to read and manage them. The app reads each "
            "booking to put it in Google Calendar."
        ),
        (
            "Twoich pokoi i ich rezerwacji, by je odczytywać i nimi zarządzać. Aplikacja "
            "odczytuje każdą rezerwację, by wpisać ją do Kalendarza Google."
        ),
    ),
    "scope_rooms_manage_name": (
        "Lockme calls this permission “rooms_manage”.",
        "Lockme nazywa to uprawnienie „rooms_manage”.",
    ),
    "scope_calendar": (
        (
            "your calendars, to see their names and to add, change and remove events. The app "
            "writes each booking as an event in its room's calendar."
        ),
        (
            "Twoich kalendarzy, by widzieć ich nazwy oraz dodawać, zmieniać i usuwać wydarzenia. "
            "Aplikacja zapisuje każdą rezerwację jako wydarzenie w kalendarzu jej pokoju."
        ),
    ),
    "scope_calendar_name": (
        "Google calls these permissions calendar events and calendar list.",
        "Google nazywa te uprawnienia wydarzeniami kalendarza i listą kalendarzy.",
    ),
    "allow": (
        "Allow",
        "Zezwól",
    ),
    "deny": (
        "Deny",
        "Odmów",
    ),
    "deny_help": (
        "Deny goes back to the app without access.",
        "Odmów wraca do aplikacji bez dostępu.",
    ),
}

CATALOG = Catalog(TEXTS, BANNER)

__all__ = ["BANNER", "CATALOG", "LANGUAGES"]
