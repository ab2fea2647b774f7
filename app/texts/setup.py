"""The setup page: connections, the checklist, the calendar check."""

from __future__ import annotations

from worker.texts import Text

# key: (English, Polish)
TEXTS: dict[str, Text] = {
    "connected_as": (
        "Connected as {account}",
        "Połączono jako {account}",
    ),
    "connect": (
        "Connect",
        "Połącz",
    ),
    "disconnect": (
        "Disconnect",
        "Rozłącz",
    ),
    "disconnect_confirm": (
        "Disconnect? Bookings will wait until you connect again.",
        "Rozłączyć? Rezerwacje poczekają do ponownego połączenia.",
    ),
    "disconnected": (
        "{provider} disconnected.",
        "Rozłączono {provider}.",
    ),
    "paste_token": (
        "Paste a token instead",
        "Albo wklej token",
    ),
    "paste_token_help": (
        (
            "The JSON of Lockme's “Custom OAuth2 Access Token” (as in the WordPress plugin), "
            "with access_token and refresh_token."
        ),
        (
            "JSON tokenu „Custom OAuth2 Access Token” z Lockme (jak we wtyczce WordPress), z "
            "access_token i refresh_token."
        ),
    ),
    "token_json": (
        "Token JSON",
        "JSON tokenu",
    ),
    "save_token": (
        "Save token",
        "Zapisz token",
    ),
    "token_invalid": (
        "That is not a Lockme token: {reason}",
        "To nie jest token Lockme: {reason}",
    ),
    "webhook": (
        "Webhook",
        "Webhook",
    ),
    "webhook_intro": (
        "Lockme sends every booking change to this address:",
        "Lockme wysyła każdą zmianę rezerwacji na ten adres:",
    ),
    "copy": (
        "Copy",
        "Kopiuj",
    ),
    "copied": (
        "Copied",
        "Skopiowano",
    ),
    "webhook_steps": (
        "In the Lockme panel",
        "W panelu Lockme",
    ),
    "step_1": (
        "Open your company profile.",
        "Otwórz profil firmy.",
    ),
    "step_2": (
        "Go to Integrations and click Add.",
        "Wejdź w Integracje i kliknij Dodaj.",
    ),
    "step_3": (
        "Pick the department whose rooms should be synced.",
        "Wybierz oddział, którego pokoje mają być synchronizowane.",
    ),
    "step_4": (
        "Choose the type Webhook and give it a name.",
        "Wybierz typ Webhook i nadaj mu nazwę.",
    ),
    "step_5": (
        "Tick Active and choose API version v2.4.",
        "Zaznacz Aktywny i wybierz wersję API v2.4.",
    ),
    "step_6": (
        "Paste the URL above and save.",
        "Wklej powyższy adres i zapisz.",
    ),
    "last_webhook": (
        "Last message received: #{message_id} at {at}.",
        "Ostatnia odebrana wiadomość: nr {message_id}, {at}.",
    ),
    "no_webhook": (
        "No message received yet.",
        "Nie odebrano jeszcze żadnej wiadomości.",
    ),
    "edit_rooms": (
        "Edit rooms",
        "Edytuj pokoje",
    ),
    "check_intro": (
        "Calls Lockme and Google now and shows what they answer.",
        "Odpytuje teraz Lockme i Google i pokazuje ich odpowiedź.",
    ),
    "check_ok_lockme": (
        "✓ Lockme answers.",
        "✓ Lockme odpowiada.",
    ),
    "check_ok_google": (
        "✓ Google answers: {count} writable calendar(s).",
        "✓ Google odpowiada: kalendarze z prawem zapisu: {count}.",
    ),
    "check_bad_answer": (
        "Unexpected answer from Lockme's test call.",
        "Nieoczekiwana odpowiedź na testowe zapytanie do Lockme.",
    ),
    "google_error": (
        "Google did not answer: {error}",
        "Google nie odpowiada: {error}",
    ),
    "department": (
        "Department",
        "Oddział",
    ),
    "routes_saved": (
        "Saved {count} room(s).",
        "Zapisano pokoje: {count}.",
    ),
    "bad_duration": (
        "{room}: the duration must be a whole number from 1 to 1440.",
        "{room}: czas trwania musi być liczbą całkowitą od 1 do 1440.",
    ),
    "bad_colour": (
        "{room}: unknown colour.",
        "{room}: nieznany kolor.",
    ),
    "bad_privacy": (
        "{room}: unknown privacy level.",
        "{room}: nieznany poziom prywatności.",
    ),
    "bad_holds": (
        "{room}: choose whether unpaid holds are shown.",
        "{room}: wybierz, czy pokazywać rezerwacje nieopłacone.",
    ),
    "bad_template": (
        "{room}: unknown placeholder {{{field}}}.",
        "{room}: nieznane pole {{{field}}}.",
    ),
    "resync_queued": (
        "Re-sync queued; it runs in the background. Its result shows on the status page.",
        "Synchronizacja zlecona; działa w tle. Wynik pokaże strona stanu.",
    ),
    "oauth_state": (
        (
            "This sign-in link is not valid any more (it was used already, expired or came from "
            "another browser). Start again from the setup page."
        ),
        (
            "Ten link logowania jest już nieważny (został użyty, wygasł albo pochodzi z innej "
            "przeglądarki). Zacznij ponownie na stronie konfiguracji."
        ),
    ),
    "oauth_denied": (
        "{provider} did not grant access: {error}",
        "{provider} nie przyznał dostępu: {error}",
    ),
    "oauth_exchange": (
        "{provider} refused the sign-in: {error}",
        "{provider} odrzucił logowanie: {error}",
    ),
    "missing_scopes": (
        (
            "Google did not grant every permission this app needs. Missing: {scopes}. Connect "
            "again and leave every box ticked."
        ),
        (
            "Google nie przyznał wszystkich potrzebnych uprawnień. Brakuje: {scopes}. Połącz "
            "ponownie i zostaw zaznaczone wszystkie pola."
        ),
    ),
    "no_refresh_token": (
        "Google did not return a refresh token. Connect again.",
        "Google nie zwrócił tokenu odświeżania. Połącz ponownie.",
    ),
    "connected_flash": (
        "{provider} connected as {account}.",
        "Połączono {provider} jako {account}.",
    ),
    "replayed": (
        "{count} waiting message(s) queued again.",
        "Ponownie zlecono oczekujące wiadomości: {count}.",
    ),
    "conn_down_since": (
        "{provider} isn't answering since {time}.",
        "{provider} nie odpowiada od {time}.",
    ),
    "conn_waiting": (
        "{count} booking(s) waiting, retrying by itself.",
        "Czekające rezerwacje: {count}; ponawiane automatycznie.",
    ),
    "conn_retrying_none": (
        "It is checked again by itself.",
        "Aplikacja sprawdza to sama co chwilę.",
    ),
    "conn_raw": (
        "What {provider} said",
        "Co odpowiedział {provider}",
    ),
    "step_state_done": (
        "done",
        "zrobione",
    ),
    "step_state_todo": (
        "to do",
        "do zrobienia",
    ),
    "step_state_warn": (
        "needs attention",
        "wymaga uwagi",
    ),
    "todo_reconnect": (
        "Press “{button}” in the {provider} box below.",
        "Naciśnij „{button}” w polu {provider} poniżej.",
    ),
    "todo_down": (
        "{provider} isn't answering; bookings wait and are retried by themselves.",
        "{provider} nie odpowiada; rezerwacje czekają i ponawiają się same.",
    ),
    "not_set_up": (
        "Not set up yet",
        "Jeszcze nie skonfigurowano",
    ),
    "set_up_now": (
        "Set up on the setup page",
        "Skonfiguruj na stronie konfiguracji",
    ),
    "primary_calendar": (
        "Primary calendar",
        "Kalendarz główny",
    ),
    "checklist_title": (
        "Getting started",
        "Pierwsze kroki",
    ),
    "checklist_intro": (
        "Each step shows ✓ when done, or what to do next.",
        "Każdy krok pokazuje ✓, gdy jest zrobiony, albo co zrobić dalej.",
    ),
    "step_client_ids": (
        "OAuth apps configured",
        "Aplikacje OAuth skonfigurowane",
    ),
    "todo_client_ids": (
        "Set {names} and restart. Register this redirect URI with the app: {uris}",
        (
            "Ustaw {names} i uruchom ponownie. Zarejestruj w aplikacji ten adres przekierowania: "
            "{uris}"
        ),
    ),
    "step_lockme": (
        "Lockme connected",
        "Lockme połączone",
    ),
    "todo_lockme": (
        "Press Connect in the Lockme box below.",
        "Naciśnij Połącz w polu Lockme poniżej.",
    ),
    "step_google": (
        "Google Calendar connected",
        "Kalendarz Google połączony",
    ),
    "todo_google": (
        "Press Connect in the Google box below.",
        "Naciśnij Połącz w polu Google poniżej.",
    ),
    "step_webhook": (
        "Webhook address reachable from the internet",
        "Adres webhooka osiągalny z internetu",
    ),
    "todo_webhook_local": (
        (
            "This address is on this computer ({host}); Lockme cannot reach it. Deploy the app "
            "or set PUBLIC_URL."
        ),
        (
            "Ten adres wskazuje na ten komputer ({host}); Lockme go nie osiągnie. Wdróż "
            "aplikację albo ustaw PUBLIC_URL."
        ),
    ),
    "todo_webhook_http": (
        "This address uses plain http; Lockme needs https. Set PUBLIC_URL.",
        "Ten adres używa zwykłego http; Lockme wymaga https. Ustaw PUBLIC_URL.",
    ),
    "step_first_message": (
        "First Lockme message received",
        "Odebrano pierwszą wiadomość z Lockme",
    ),
    "todo_first_message": (
        "Add the webhook in the Lockme panel (steps below), then make a test booking.",
        "Dodaj webhook w panelu Lockme (kroki poniżej), potem zrób testową rezerwację.",
    ),
    "step_rooms": (
        "Rooms mapped to calendars",
        "Pokoje przypisane do kalendarzy",
    ),
    "todo_rooms": (
        "Choose a calendar for each room on the rooms page.",
        "Wybierz kalendarz dla każdego pokoju na stronie pokoi.",
    ),
    "step_test": (
        "Calendars tested",
        "Kalendarze sprawdzone",
    ),
    "todo_test": (
        "Press “Test calendars”: it writes and removes a test event in each calendar.",
        "Naciśnij „Sprawdź kalendarze”: zapisze i usunie testowe wydarzenie w każdym kalendarzu.",
    ),
    "test_calendars": (
        "Test calendars",
        "Sprawdź kalendarze",
    ),
    "test_ok": (
        "✓ {calendar}: a test event was written and removed.",
        "✓ {calendar}: zapisano i usunięto testowe wydarzenie.",
    ),
    "test_failed": (
        "✗ {calendar}: {error}",
        "✗ {calendar}: {error}",
    ),
    "test_needs_google": (
        "Connect Google first.",
        "Najpierw połącz Google.",
    ),
    "connect_disabled": (
        "Connect is off until the OAuth app is configured.",
        "Łączenie jest wyłączone, dopóki aplikacja OAuth nie jest skonfigurowana.",
    ),
    "how_to": (
        "How to",
        "Jak to zrobić",
    ),
    "redirect_uri": (
        "Redirect URI to register",
        "Adres przekierowania do zarejestrowania",
    ),
}
