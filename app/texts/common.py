"""Texts every page shares: the navigation, the banner, error pages."""

from __future__ import annotations

from worker.texts import Text

# key: (English, Polish)
TEXTS: dict[str, Text] = {
    "app_name": (
        "Lockme → Google Calendar",
        "Lockme → Kalendarz Google",
    ),
    "nav_setup": (
        "Setup",
        "Konfiguracja",
    ),
    "nav_rooms": (
        "Rooms",
        "Pokoje",
    ),
    "nav_status": (
        "Status",
        "Stan",
    ),
    "logout": (
        "Log out",
        "Wyloguj",
    ),
    "switch_language": (
        "Polski",
        "English",
    ),
    "banner_title": (
        "Calendar sync is stopped",
        "Synchronizacja kalendarza jest wstrzymana",
    ),
    "banner_parked": (
        "{count} booking(s) are waiting and will be synced after reconnecting.",
        "Rezerwacje czekające na synchronizację po ponownym połączeniu: {count}.",
    ),
    "reconnect": (
        "Reconnect {provider}",
        "Połącz ponownie z {provider}",
    ),
    "connections": (
        "Connections",
        "Połączenia",
    ),
    "connected": (
        "Connected",
        "Połączono",
    ),
    "check": (
        "Check connections",
        "Sprawdź połączenia",
    ),
    "room": (
        "Room",
        "Pokój",
    ),
    "calendar": (
        "Calendar",
        "Kalendarz",
    ),
    "primary": (
        "primary",
        "główny",
    ),
    "colour": (
        "Colour",
        "Kolor",
    ),
    "save": (
        "Save",
        "Zapisz",
    ),
    "oauth_failed": (
        "Connecting failed",
        "Nie udało się połączyć",
    ),
    "back_to_setup": (
        "Back to setup",
        "Wróć do konfiguracji",
    ),
    "conn_reconnect": (
        (
            "{provider} no longer accepts the app's access (it was withdrawn or has expired). "
            "Bookings wait until you reconnect."
        ),
        (
            "{provider} nie przyjmuje już dostępu aplikacji (został cofnięty albo wygasł). "
            "Rezerwacje czekają na ponowne połączenie."
        ),
    ),
    "queued": (
        "queued",
        "w kolejce",
    ),
    "started": (
        "running",
        "w trakcie",
    ),
    "scheduled": (
        "waiting to retry",
        "czeka na ponowienie",
    ),
    "parked": (
        "waiting for a reconnect",
        "czeka na ponowne połączenie",
    ),
    "booking": (
        "Booking",
        "Rezerwacja",
    ),
    "message": (
        "Message",
        "Wiadomość",
    ),
    "day": (
        "Day",
        "Dzień",
    ),
    "failed": (
        "Failed",
        "Nieudane",
    ),
    "details": (
        "Details",
        "Szczegóły",
    ),
    "retrying": (
        "waiting to retry",
        "czeka na ponowienie",
    ),
    "more_help": (
        "More help",
        "Więcej pomocy",
    ),
    "nav_help": (
        "Help",
        "Pomoc",
    ),
    "error_title": (
        "Something went wrong",
        "Coś poszło nie tak",
    ),
    "error_400": (
        "The request was not understood. Go back and check what you entered.",
        "Nie zrozumiano żądania. Wróć i sprawdź, co zostało wpisane.",
    ),
    "error_403": (
        "You may not do that.",
        "Nie możesz tego zrobić.",
    ),
    "error_404": (
        "There is no page at this address.",
        "Pod tym adresem nie ma strony.",
    ),
    "error_405": (
        "This address does not accept that kind of request. Start from the menu.",
        "Ten adres nie przyjmuje takiego żądania. Zacznij od menu.",
    ),
    "error_413": (
        "What you sent is too large.",
        "Przesłane dane są za duże.",
    ),
    "error_429": (
        "Too many requests. Wait a minute and try again.",
        "Zbyt wiele żądań. Odczekaj minutę i spróbuj ponownie.",
    ),
    "error_500": (
        "The app failed. Try again; if it keeps failing, check the logs.",
        "Aplikacja zawiodła. Spróbuj ponownie; jeśli to się powtarza, sprawdź logi.",
    ),
    "error_other": (
        "The request could not be completed.",
        "Nie udało się wykonać żądania.",
    ),
    "skip_to_content": (
        "Skip to content",
        "Przejdź do treści",
    ),
    "cancel": (
        "Cancel",
        "Anuluj",
    ),
}
