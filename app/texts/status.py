"""The status page: connections, bookings under way, history, blocks."""

from __future__ import annotations

from worker.texts import Text

# key: (English, Polish)
TEXTS: dict[str, Text] = {
    "connect_lockme_first": (
        "Connect Lockme first: the rooms come from Lockme.",
        "Najpierw połącz Lockme: lista pokoi pochodzi z Lockme.",
    ),
    "connect_google_first": (
        "Connect Google first: the calendars come from Google.",
        "Najpierw połącz Google: lista kalendarzy pochodzi z Google.",
    ),
    "under_way": (
        "under way",
        "w toku",
    ),
    "state_retrying": (
        "waiting to retry",
        "czeka na ponowienie",
    ),
    "state_parked": (
        "waiting for a reconnect",
        "czeka na ponowne połączenie",
    ),
    "state_replaying": (
        "syncing now",
        "synchronizuje się teraz",
    ),
    "wait_why_down": (
        "{provider} isn't answering",
        "{provider} nie odpowiada",
    ),
    "wait_why_reconnect": (
        "{provider} needs reconnecting",
        "trzeba ponownie połączyć {provider}",
    ),
    "wait_why_busy": (
        "another change to this booking is being written",
        "trwa zapis innej zmiany tej rezerwacji",
    ),
    "wait_next_at": (
        "tried again by itself at {time}",
        "ponowienie automatycznie o {time}",
    ),
    "wait_next_soon": (
        "tried again by itself",
        "ponowienie automatycznie",
    ),
    "wait_next_reconnect": (
        "syncs once you press “{button}”",
        "zsynchronizuje się po naciśnięciu „{button}”",
    ),
    "wait_next_now": (
        "being synced now",
        "synchronizuje się teraz",
    ),
    "not_read_yet": (
        "not read from Lockme yet",
        "jeszcze nie odczytana z Lockme",
    ),
    "customer": (
        "Customer",
        "Klient",
    ),
    "room_n": (
        "Room {id}",
        "Pokój {id}",
    ),
    "no_limit": (
        "no limit set",
        "bez ustawionego limitu",
    ),
    "live_updates": (
        "This page updates itself.",
        "Ta strona odświeża się sama.",
    ),
    "status_title": (
        "Status",
        "Stan",
    ),
    "queue": (
        "Queue",
        "Kolejka",
    ),
    "failed_jobs": (
        "failed",
        "nieudane",
    ),
    "recent": (
        "Last {count} syncs",
        "Ostatnie synchronizacje ({count})",
    ),
    "no_recent": (
        "Nothing synced yet.",
        "Nic jeszcze nie zsynchronizowano.",
    ),
    "action": (
        "Action",
        "Akcja",
    ),
    "result": (
        "Result",
        "Wynik",
    ),
    "failures": (
        "Failures",
        "Błędy",
    ),
    "no_failures": (
        "No failures.",
        "Brak błędów.",
    ),
    "attempts": (
        "Attempts",
        "Próby",
    ),
    "retry": (
        "Retry",
        "Ponów",
    ),
    "retry_all": (
        "Retry all",
        "Ponów wszystkie",
    ),
    "retried": (
        "Queued again: {ids}.",
        "Ponownie zlecono: {ids}.",
    ),
    "nothing_to_retry": (
        "Nothing to retry.",
        "Nie ma czego ponawiać.",
    ),
    "bad_message_id": (
        "A message number is 1 to 18 digits.",
        "Numer wiadomości to od 1 do 18 cyfr.",
    ),
    "per_day": (
        "Per day (last {days} days)",
        "Dziennie (ostatnie {days} dni)",
    ),
    "times_in": (
        "Times in {tz}.",
        "Godziny w strefie {tz}.",
    ),
    "maintenance": (
        "scheduled maintenance (nightly re-sync, alert check, outage check)",
        "zaplanowana obsługa (nocna synchronizacja, sprawdzanie alertów i awarii)",
    ),
    "unknown_ids": (
        "message ids Lockme does not know (ignored for 6 h)",
        "numery wiadomości nieznane Lockme (pomijane przez 6 h)",
    ),
    "redis_memory": (
        "Redis memory used / limit",
        "pamięć Redis: użyta / limit",
    ),
    "reconcile_title": (
        "Re-sync with Lockme",
        "Synchronizacja z Lockme",
    ),
    "reconcile_last": (
        "Last run: {at}.",
        "Ostatnio: {at}.",
    ),
    "reconcile_counts": (
        (
            "{checked} unchanged, {created} created, {updated} updated, {deleted} removed, "
            "{errors} errors"
        ),
        (
            "bez zmian {checked}, dodane {created}, zmienione {updated}, usunięte {deleted}, "
            "błędy {errors}"
        ),
    ),
    "reconcile_never": (
        "Has not run yet.",
        "Jeszcze się nie odbyła.",
    ),
    "reconcile_next": (
        "Next nightly run: {at}.",
        "Następna nocna: {at}.",
    ),
    "reconcile_unscheduled": (
        "Next run: when the worker starts.",
        "Następna: po uruchomieniu procesu roboczego.",
    ),
    "attempts_n": (
        "{count} attempts",
        "prób: {count}",
    ),
    "search_label": (
        "Reservation number or customer's name",
        "Numer rezerwacji albo imię i nazwisko klienta",
    ),
    "search_day": (
        "Booking day",
        "Dzień rezerwacji",
    ),
    "search_room": (
        "Room",
        "Pokój",
    ),
    "any_room": (
        "Any room",
        "Każdy pokój",
    ),
    "search": (
        "Search",
        "Szukaj",
    ),
    "show_all": (
        "Show all",
        "Pokaż wszystko",
    ),
    "search_results": (
        "Syncs found",
        "Znalezione synchronizacje",
    ),
    "no_match": (
        "No sync in the kept history fits this search.",
        "Żadna synchronizacja w przechowywanej historii nie pasuje do wyszukiwania.",
    ),
    "search_names_note": (
        "Names are found only in rooms whose privacy level shows them.",
        "Nazwiska są wyszukiwane tylko w pokojach, których poziom prywatności je pokazuje.",
    ),
    "operator_title": (
        "For operators",
        "Dla administratora",
    ),
    "operator_help": (
        "Technical details for whoever runs the app; staff do not need them.",
        "Szczegóły techniczne dla osoby utrzymującej aplikację; obsłudze niepotrzebne.",
    ),
    "booked_for": (
        "Booked for",
        "Termin",
    ),
    "open_in_google": (
        "Open in Google Calendar",
        "Otwórz w Kalendarzu Google",
    ),
    "chart_syncs": (
        "Syncs per day by outcome",
        "Synchronizacje dziennie według wyniku",
    ),
    "chart_latency": (
        "Time from Lockme's message to the calendar",
        "Czas od wiadomości Lockme do kalendarza",
    ),
    "chart_empty": (
        "No syncs in these days",
        "Brak synchronizacji w tych dniach",
    ),
    "chart_numbers": (
        "The numbers",
        "Liczby",
    ),
    "answer_shapes": (
        "The form of Lockme's answers",
        "Postać odpowiedzi Lockme",
    ),
    "answer_shapes_help": (
        (
            "The form of each kind of answer Lockme has sent: status, content type, field names "
            "and value types, never the values. Kept once per endpoint and form."
        ),
        (
            "Postać każdego rodzaju odpowiedzi Lockme: status, typ treści, nazwy pól i typy "
            "wartości, nigdy same wartości. Zapisywana raz na endpoint i postać."
        ),
    ),
    "no_answer_shapes": (
        "No answers from Lockme yet.",
        "Lockme jeszcze nic nie odpowiedział.",
    ),
    "shape_endpoint": (
        "Endpoint",
        "Endpoint",
    ),
    "shape_answer": (
        "Answer",
        "Odpowiedź",
    ),
    "shape_body": (
        "Shape",
        "Kształt",
    ),
    "median": (
        "half of the syncs within",
        "połowa synchronizacji w czasie",
    ),
    "p95": (
        "95 of 100 syncs within",
        "95 na 100 synchronizacji w czasie",
    ),
    "group_written": (
        "written",
        "zapisane",
    ),
    "group_nothing": (
        "nothing to change",
        "bez zmian",
    ),
    "group_waiting": (
        "waiting",
        "oczekujące",
    ),
    "group_failed": (
        "failed",
        "nieudane",
    ),
    "blocks_conflicts_title": (
        "Slots customers hold",
        "Terminy zajęte przez klientów",
    ),
    "blocks_held_where": (
        "Calendar: {calendar} · for {rooms} · since {at}",
        "Kalendarz: {calendar} · pokoje: {rooms} · od {at}",
    ),
    "blocks_calendars_title": (
        "Blocks calendars",
        "Kalendarze blokad",
    ),
    "blocks_calendar_rooms": (
        "Rooms: {rooms}",
        "Pokoje: {rooms}",
    ),
    "blocks_via_push": (
        "Google reports each change within seconds (push).",
        "Google zgłasza każdą zmianę w ciągu kilku sekund (push).",
    ),
    "blocks_via_polling": (
        "The app asks Google for changes every 30 seconds (polling).",
        "Aplikacja co 30 sekund pyta Google o zmiany (odpytywanie).",
    ),
    "blocks_via_push_refused": (
        (
            "Google refused to send changes to this app's address (it must be https), so the app "
            "asks Google for changes every 30 seconds."
        ),
        (
            "Google odmówił wysyłania zmian na adres aplikacji (musi to być https), więc "
            "aplikacja co 30 sekund pyta Google o zmiany."
        ),
    ),
    "blocks_via_reconnect": (
        (
            "Reading this calendar is stopped until Google is reconnected (see above); its "
            "changes wait until then."
        ),
        (
            "Odczyt tego kalendarza jest wstrzymany do ponownego połączenia z Google (zob. "
            "wyżej); jego zmiany poczekają do tego czasu."
        ),
    ),
    "blocks_via_down": (
        (
            "Google is not answering (see above): the calendar's changes are read again when it "
            "is back."
        ),
        (
            "Google nie odpowiada (zob. wyżej): zmiany w kalendarzu zostaną odczytane, gdy znów "
            "zacznie odpowiadać."
        ),
    ),
    "blocks_read_at": (
        "Last read: {at}.",
        "Ostatni odczyt: {at}.",
    ),
    "blocks_never_read": (
        "Not read yet.",
        "Jeszcze nie odczytano.",
    ),
    "blocks_error_calendar_forbidden": (
        (
            "The last read failed: the connected Google account may not read this calendar. "
            "Share it with the account, or choose another calendar on the rooms page."
        ),
        (
            "Ostatni odczyt się nie udał: połączone konto Google nie może czytać tego "
            "kalendarza. Udostępnij go temu kontu albo wybierz inny kalendarz na stronie pokoi."
        ),
    ),
    "blocks_error_calendar_missing": (
        (
            "The last read failed: the calendar no longer exists or is not shared with the "
            "connected account any more. Choose another calendar on the rooms page."
        ),
        (
            "Ostatni odczyt się nie udał: kalendarz już nie istnieje albo nie jest już "
            "udostępniony połączonemu kontu. Wybierz inny kalendarz na stronie pokoi."
        ),
    ),
    "blocks_error_rate_limited": (
        "The last read failed: Google asked the app to slow down. It is tried again automatically.",
        (
            "Ostatni odczyt się nie udał: Google poprosił o wolniejsze tempo. Aplikacja spróbuje "
            "ponownie sama."
        ),
    ),
    "blocks_error_unreachable": (
        "The last sync failed: Google or Lockme did not answer. It is tried again automatically.",
        (
            "Ostatnia synchronizacja się nie udała: Google lub Lockme nie odpowiedział. "
            "Aplikacja spróbuje ponownie sama."
        ),
    ),
    "blocks_error_lockme": (
        (
            "The last sync failed at Lockme: a block could not be made or removed. It is tried "
            "again automatically; if this stays, check the Lockme connection on the setup page."
        ),
        (
            "Ostatnia synchronizacja nie powiodła się w Lockme: nie udało się utworzyć lub "
            "usunąć blokady. Aplikacja spróbuje ponownie sama; jeśli to trwa, sprawdź połączenie "
            "z Lockme na stronie konfiguracji."
        ),
    ),
    "blocks_list_title": (
        "Blocks in Lockme ({count})",
        "Blokady w Lockme ({count})",
    ),
    "blocks_checked_at": (
        (
            "Checked against the reservations in Lockme: {at} (once a day, and after the app's "
            "data was lost)."
        ),
        "Sprawdzono z rezerwacjami w Lockme: {at} (raz dziennie i po utracie danych aplikacji).",
    ),
    "blocks_never_checked": (
        (
            "Not checked against the reservations in Lockme yet: that happens once a day, and at "
            "the calendar's next read after the app's data was lost."
        ),
        (
            "Jeszcze nie sprawdzono z rezerwacjami w Lockme: dzieje się to raz dziennie oraz "
            "przy najbliższym odczycie kalendarza po utracie danych aplikacji."
        ),
    ),
    "blocks_day_time": (
        "Day and time",
        "Dzień i godzina",
    ),
    "blocks_event": (
        "Staff event",
        "Wydarzenie personelu",
    ),
    "blocks_untitled": (
        "(no title)",
        "(bez tytułu)",
    ),
    "blocks_pending": (
        "being written",
        "w trakcie zapisu",
    ),
    "blocks_titles_help": (
        "Event titles show only for rooms whose privacy level shows names.",
        "Tytuły wydarzeń widać tylko w pokojach, których poziom prywatności pokazuje nazwiska.",
    ),
    "blocks_more": (
        "{count} more are not shown; lockme-sync status --json lists them all.",
        "Nie pokazano kolejnych: {count}; wszystkie wypisuje lockme-sync status --json.",
    ),
    "blocks_none": (
        "No blocks in Lockme yet.",
        "Brak blokad w Lockme.",
    ),
}
