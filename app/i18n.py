"""English and Polish texts of the staff pages.

Venue staff in Poland often prefer Polish, while the people who deploy the app read
English; a dictionary is enough for two languages and keeps the pages free of a gettext
toolchain. The language comes from ``?lang=``, then the ``lang`` cookie, then the browser's
Accept-Language; ``?lang=`` is remembered in the cookie.
"""

from __future__ import annotations

from flask import Blueprint, g, request
from werkzeug.wrappers import Response

LANGUAGES = ("en", "pl")
COOKIE = "lang"
COOKIE_MAX_AGE_S = 365 * 24 * 3600

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "app_name": "Lockme → Google Calendar",
        "nav_setup": "Setup",
        "nav_rooms": "Rooms",
        "nav_status": "Status",
        "logout": "Log out",
        "switch_language": "Polski",
        "login_title": "Staff login",
        "password": "Password",
        "login_button": "Log in",
        "login_wrong": "Wrong password.",
        "login_too_many": "Too many attempts. Wait a few minutes and try again.",
        "csrf_failed": (
            "The form expired or did not come from this site. Reload the page and try again."
        ),
        "banner_title": "Calendar sync is stopped",
        "banner_conn": "{provider}: {error}",
        "banner_parked": "{count} booking(s) are waiting and will be synced after reconnecting.",
        "reconnect": "Reconnect {provider}",
        "connections": "Connections",
        "connected_as": "Connected as {account}",
        "connected": "Connected",
        "not_connected": "Not connected",
        "connect": "Connect",
        "disconnect": "Disconnect",
        "disconnect_confirm": "Disconnect? Bookings will wait until you connect again.",
        "disconnected": "{provider} disconnected.",
        "paste_token": "Paste a token instead",
        "paste_token_help": (
            "The JSON of Lockme's “Custom OAuth2 Access Token” (as in the WordPress plugin), "
            "with access_token and refresh_token."
        ),
        "token_json": "Token JSON",
        "save_token": "Save token",
        "token_invalid": "That is not a Lockme token: {reason}",
        "token_saved": "Lockme token saved.",
        "webhook": "Webhook",
        "webhook_intro": "Lockme sends every booking change to this address:",
        "copy": "Copy",
        "copied": "Copied",
        "webhook_steps": "In the Lockme panel",
        "step_1": "Open your company profile.",
        "step_2": "Go to Integrations and click Add.",
        "step_3": "Pick the department whose rooms should be synced.",
        "step_4": "Choose the type Webhook and give it a name.",
        "step_5": "Tick Active and choose API version v2.4.",
        "step_6": "Paste the URL above and save.",
        "last_webhook": "Last message received: #{message_id} at {at}.",
        "no_webhook": "No message received yet.",
        "rooms_calendars": "Rooms and calendars",
        "rooms_intro": (
            "Choose a calendar for each room. Rooms without a choice use the primary calendar."
        ),
        "edit_rooms": "Edit rooms",
        "check": "Check connections",
        "check_intro": "Calls Lockme and Google now and shows what they answer.",
        "check_ok_lockme": "✓ Lockme answers.",
        "check_ok_google": "✓ Google answers: {count} writable calendar(s).",
        "check_bad_answer": "Unexpected answer from Lockme's test call.",
        "connect_lockme_first": "Connect Lockme first: the rooms come from Lockme.",
        "connect_google_first": "Connect Google first: the calendars come from Google.",
        "lockme_error": "Lockme did not answer: {error}",
        "google_error": "Google did not answer: {error}",
        "room": "Room",
        "department": "Department",
        "calendar": "Calendar",
        "primary": "primary",
        "duration": "Duration (minutes)",
        "duration_default": "default: {minutes}",
        "colour": "Colour",
        "colour_none": "Calendar's colour",
        "title_template": "Event title",
        "title_help": "Placeholders: {fields}. Empty means {default}.",
        "privacy": "Privacy",
        "privacy_full": "Everything",
        "privacy_no_contact": "No contact details",
        "privacy_time_only": "Time only",
        "save": "Save",
        "routes_saved": "Saved {count} room(s).",
        "no_rooms": "Lockme lists no rooms for this account.",
        "bad_calendar": "{room}: choose one of the listed calendars.",
        "bad_duration": "{room}: the duration must be a whole number from 1 to 1440.",
        "bad_colour": "{room}: unknown colour.",
        "bad_privacy": "{room}: unknown privacy level.",
        "bad_template": "{room}: unknown placeholder {{{field}}}.",
        "resync": "Re-sync upcoming bookings",
        "resync_intro": "Makes the calendars match Lockme's upcoming bookings again.",
        "resync_queued": "Re-sync queued; it runs in the background.",
        "oauth_failed": "Connecting failed",
        "oauth_state": (
            "This sign-in link is not valid any more (it was used already, expired or came "
            "from another browser). Start again from the setup page."
        ),
        "oauth_denied": "{provider} did not grant access: {error}",
        "oauth_exchange": "{provider} refused the sign-in: {error}",
        "missing_scopes": (
            "Google did not grant every permission this app needs. Missing: {scopes}. Connect"
            " again and leave every box ticked."
        ),
        "no_refresh_token": "Google did not return a refresh token. Connect again.",
        "connected_flash": "{provider} connected as {account}.",
        "replayed": "{count} waiting message(s) queued again.",
        "back_to_setup": "Back to setup",
        "status_title": "Status",
        "queue": "Queue",
        "queued": "queued",
        "started": "running",
        "scheduled": "waiting to retry",
        "failed_jobs": "failed",
        "parked": "waiting for a reconnect",
        "recent": "Last {count} syncs",
        "no_recent": "Nothing synced yet.",
        "booking": "Booking",
        "action": "Action",
        "result": "Result",
        "when": "When",
        "message": "Message",
        "failures": "Failures",
        "no_failures": "No failures.",
        "reason": "Reason",
        "attempts": "Attempts",
        "retry": "Retry",
        "retry_all": "Retry all",
        "retried": "Queued again: {ids}.",
        "nothing_to_retry": "Nothing to retry.",
        "bad_message_id": "A message number is 1 to 18 digits.",
        "per_day": "Per day (last {days} days)",
        "day": "Day",
        "total": "Total",
        "failed": "Failed",
        "details": "Details",
        "times_in": "Times in {tz}.",
    },
    "pl": {
        "app_name": "Lockme → Kalendarz Google",
        "nav_setup": "Konfiguracja",
        "nav_rooms": "Pokoje",
        "nav_status": "Stan",
        "logout": "Wyloguj",
        "switch_language": "English",
        "login_title": "Logowanie obsługi",
        "password": "Hasło",
        "login_button": "Zaloguj",
        "login_wrong": "Złe hasło.",
        "login_too_many": "Zbyt wiele prób. Odczekaj kilka minut i spróbuj ponownie.",
        "csrf_failed": (
            "Formularz wygasł albo nie pochodzi z tej strony. Odśwież stronę i spróbuj ponownie."
        ),
        "banner_title": "Synchronizacja kalendarza jest wstrzymana",
        "banner_conn": "{provider}: {error}",
        "banner_parked": "Rezerwacje czekające na synchronizację po ponownym połączeniu: {count}.",
        "reconnect": "Połącz ponownie z {provider}",
        "connections": "Połączenia",
        "connected_as": "Połączono jako {account}",
        "connected": "Połączono",
        "not_connected": "Brak połączenia",
        "connect": "Połącz",
        "disconnect": "Rozłącz",
        "disconnect_confirm": "Rozłączyć? Rezerwacje poczekają do ponownego połączenia.",
        "disconnected": "Rozłączono {provider}.",
        "paste_token": "Albo wklej token",
        "paste_token_help": (
            "JSON tokenu „Custom OAuth2 Access Token” z Lockme (jak we wtyczce WordPress), z "
            "access_token i refresh_token."
        ),
        "token_json": "JSON tokenu",
        "save_token": "Zapisz token",
        "token_invalid": "To nie jest token Lockme: {reason}",
        "token_saved": "Zapisano token Lockme.",
        "webhook": "Webhook",
        "webhook_intro": "Lockme wysyła każdą zmianę rezerwacji na ten adres:",
        "copy": "Kopiuj",
        "copied": "Skopiowano",
        "webhook_steps": "W panelu Lockme",
        "step_1": "Otwórz profil firmy.",
        "step_2": "Wejdź w Integracje i kliknij Dodaj.",
        "step_3": "Wybierz oddział, którego pokoje mają być synchronizowane.",
        "step_4": "Wybierz typ Webhook i nadaj mu nazwę.",
        "step_5": "Zaznacz Aktywny i wybierz wersję API v2.4.",
        "step_6": "Wklej powyższy adres i zapisz.",
        "last_webhook": "Ostatnia odebrana wiadomość: nr {message_id}, {at}.",
        "no_webhook": "Nie odebrano jeszcze żadnej wiadomości.",
        "rooms_calendars": "Pokoje i kalendarze",
        "rooms_intro": (
            "Wybierz kalendarz dla każdego pokoju. Pokoje bez wyboru trafiają do kalendarza "
            "głównego."
        ),
        "edit_rooms": "Edytuj pokoje",
        "check": "Sprawdź połączenia",
        "check_intro": "Odpytuje teraz Lockme i Google i pokazuje ich odpowiedź.",
        "check_ok_lockme": "✓ Lockme odpowiada.",
        "check_ok_google": "✓ Google odpowiada: kalendarze z prawem zapisu: {count}.",
        "check_bad_answer": "Nieoczekiwana odpowiedź na testowe zapytanie do Lockme.",
        "connect_lockme_first": "Najpierw połącz Lockme: lista pokoi pochodzi z Lockme.",
        "connect_google_first": "Najpierw połącz Google: lista kalendarzy pochodzi z Google.",
        "lockme_error": "Lockme nie odpowiada: {error}",
        "google_error": "Google nie odpowiada: {error}",
        "room": "Pokój",
        "department": "Oddział",
        "calendar": "Kalendarz",
        "primary": "główny",
        "duration": "Czas trwania (minuty)",
        "duration_default": "domyślnie: {minutes}",
        "colour": "Kolor",
        "colour_none": "Kolor kalendarza",
        "title_template": "Tytuł wydarzenia",
        "title_help": "Pola: {fields}. Puste oznacza {default}.",
        "privacy": "Prywatność",
        "privacy_full": "Wszystko",
        "privacy_no_contact": "Bez danych kontaktowych",
        "privacy_time_only": "Tylko godzina",
        "save": "Zapisz",
        "routes_saved": "Zapisano pokoje: {count}.",
        "no_rooms": "Lockme nie zwraca żadnych pokoi dla tego konta.",
        "bad_calendar": "{room}: wybierz jeden z kalendarzy z listy.",
        "bad_duration": "{room}: czas trwania musi być liczbą całkowitą od 1 do 1440.",
        "bad_colour": "{room}: nieznany kolor.",
        "bad_privacy": "{room}: nieznany poziom prywatności.",
        "bad_template": "{room}: nieznane pole {{{field}}}.",
        "resync": "Zsynchronizuj nadchodzące rezerwacje",
        "resync_intro": "Ponownie uzgadnia kalendarze z nadchodzącymi rezerwacjami w Lockme.",
        "resync_queued": "Synchronizacja zlecona; działa w tle.",
        "oauth_failed": "Nie udało się połączyć",
        "oauth_state": (
            "Ten link logowania jest już nieważny (został użyty, wygasł albo pochodzi z innej"
            " przeglądarki). Zacznij ponownie na stronie konfiguracji."
        ),
        "oauth_denied": "{provider} nie przyznał dostępu: {error}",
        "oauth_exchange": "{provider} odrzucił logowanie: {error}",
        "missing_scopes": (
            "Google nie przyznał wszystkich potrzebnych uprawnień. Brakuje: {scopes}. Połącz "
            "ponownie i zostaw zaznaczone wszystkie pola."
        ),
        "no_refresh_token": "Google nie zwrócił tokenu odświeżania. Połącz ponownie.",
        "connected_flash": "Połączono {provider} jako {account}.",
        "replayed": "Ponownie zlecono oczekujące wiadomości: {count}.",
        "back_to_setup": "Wróć do konfiguracji",
        "status_title": "Stan",
        "queue": "Kolejka",
        "queued": "w kolejce",
        "started": "w trakcie",
        "scheduled": "czeka na ponowienie",
        "failed_jobs": "nieudane",
        "parked": "czeka na ponowne połączenie",
        "recent": "Ostatnie synchronizacje ({count})",
        "no_recent": "Nic jeszcze nie zsynchronizowano.",
        "booking": "Rezerwacja",
        "action": "Akcja",
        "result": "Wynik",
        "when": "Kiedy",
        "message": "Wiadomość",
        "failures": "Błędy",
        "no_failures": "Brak błędów.",
        "reason": "Przyczyna",
        "attempts": "Próby",
        "retry": "Ponów",
        "retry_all": "Ponów wszystkie",
        "retried": "Ponownie zlecono: {ids}.",
        "nothing_to_retry": "Nie ma czego ponawiać.",
        "bad_message_id": "Numer wiadomości to od 1 do 18 cyfr.",
        "per_day": "Dziennie (ostatnie {days} dni)",
        "day": "Dzień",
        "total": "Razem",
        "failed": "Nieudane",
        "details": "Szczegóły",
        "times_in": "Godziny w strefie {tz}.",
    },
}


def language() -> str:
    """The request's language, decided once per request."""
    if "lang" not in g:
        asked = request.args.get("lang") or request.cookies.get(COOKIE)
        g.lang = (
            asked if asked in LANGUAGES else request.accept_languages.best_match(LANGUAGES, "en")
        )
    return g.lang


def t(key: str, **values: object) -> str:
    """The text for ``key`` in the request's language, with ``{name}`` values filled in."""
    text = MESSAGES[language()].get(key) or MESSAGES["en"][key]
    return text.format(**values) if values else text


bp = Blueprint("i18n", __name__)


@bp.app_context_processor
def _i18n_context() -> dict[str, object]:
    return {"t": t, "lang": language()}


@bp.after_app_request
def _remember_choice(response: Response) -> Response:
    chosen = request.args.get("lang")
    if chosen in LANGUAGES and request.cookies.get(COOKIE) != chosen:
        response.set_cookie(COOKIE, chosen, max_age=COOKIE_MAX_AGE_S, samesite="Lax", httponly=True)
    return response
