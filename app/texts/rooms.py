"""The rooms page: each room's calendar, duration, privacy, holds and blocks."""

from __future__ import annotations

from worker.texts import Text

# key: (English, Polish)
TEXTS: dict[str, Text] = {
    "rooms_calendars": (
        "Rooms and calendars",
        "Pokoje i kalendarze",
    ),
    "rooms_intro": (
        "Choose a calendar for each room. Rooms without a choice use the primary calendar.",
        "Wybierz kalendarz dla każdego pokoju. Pokoje bez wyboru trafiają do kalendarza głównego.",
    ),
    "duration": (
        "Duration (minutes)",
        "Czas trwania (minuty)",
    ),
    "duration_default": (
        "default: {minutes}",
        "domyślnie: {minutes}",
    ),
    "colour_none": (
        "Calendar's colour",
        "Kolor kalendarza",
    ),
    "title_template": (
        "Event title",
        "Tytuł wydarzenia",
    ),
    "title_help": (
        "Placeholders: {fields}. Empty means {default}.",
        "Pola: {fields}. Puste oznacza {default}.",
    ),
    "privacy": (
        "Privacy",
        "Prywatność",
    ),
    "privacy_full": (
        "Everything",
        "Wszystko",
    ),
    "privacy_no_contact": (
        "No contact details",
        "Bez danych kontaktowych",
    ),
    "privacy_time_only": (
        "Time only",
        "Tylko godzina",
    ),
    "holds": (
        "Unpaid holds",
        "Rezerwacje nieopłacone",
    ),
    "holds_show": (
        "Show as tentative",
        "Pokazuj jako wstępne",
    ),
    "holds_hide": (
        "Leave out until paid",
        "Pomijaj do opłacenia",
    ),
    "holds_help": (
        (
            "Unpaid holds: a lock.me booking not paid yet holds the slot for about 20 minutes. "
            "Shown, it is a tentative event titled “{marker}…” that turns into a normal event "
            "when paid; left out, it gets an event only once paid."
        ),
        (
            "Rezerwacja nieopłacona to rezerwacja z lock.me, za którą klient jeszcze nie "
            "zapłacił; trzyma termin przez około 20 minut. Pokazana, jest wstępnym wydarzeniem "
            "„{marker}…”, które "
            "po opłaceniu staje się zwykłym; pominięta, dostaje wydarzenie dopiero po opłaceniu."
        ),
    ),
    "no_rooms": (
        "Lockme lists no rooms for this account.",
        "Lockme nie zwraca żadnych pokoi dla tego konta.",
    ),
    "bad_calendar": (
        "{room}: choose one of the listed calendars.",
        "{room}: wybierz jeden z kalendarzy z listy.",
    ),
    "resync": (
        "Re-sync upcoming bookings",
        "Zsynchronizuj nadchodzące rezerwacje",
    ),
    "resync_intro": (
        "Makes the calendars match Lockme's upcoming bookings again.",
        "Ponownie uzgadnia kalendarze z nadchodzącymi rezerwacjami w Lockme.",
    ),
    "when": (
        "When",
        "Kiedy",
    ),
    "reason": (
        "Reason",
        "Przyczyna",
    ),
    "colour_1": (
        "Lavender",
        "Lawendowy",
    ),
    "colour_2": (
        "Sage",
        "Szałwiowy",
    ),
    "colour_3": (
        "Grape",
        "Winogronowy",
    ),
    "colour_4": (
        "Flamingo",
        "Flamingowy",
    ),
    "colour_5": (
        "Banana",
        "Bananowy",
    ),
    "colour_6": (
        "Tangerine",
        "Mandarynkowy",
    ),
    "colour_7": (
        "Peacock",
        "Pawi",
    ),
    "colour_8": (
        "Graphite",
        "Grafitowy",
    ),
    "colour_9": (
        "Blueberry",
        "Jagodowy",
    ),
    "colour_10": (
        "Basil",
        "Bazyliowy",
    ),
    "colour_11": (
        "Tomato",
        "Pomidorowy",
    ),
    "privacy_help_title": (
        "What each privacy level puts in the calendar",
        "Co każdy poziom prywatności umieszcza w kalendarzu",
    ),
    "privacy_help_full": (
        "Name, phone, e-mail, people, price and comment.",
        "Imię i nazwisko, telefon, e-mail, liczba osób, cena i komentarz.",
    ),
    "privacy_help_no_contact": (
        (
            "Name and number of people, without phone or e-mail (like Lockme's RODO mode). Rooms "
            "not set up yet sync at this level."
        ),
        (
            "Imię i nazwisko oraz liczba osób, bez telefonu i e-maila (jak tryb RODO w Lockme). "
            "Na tym poziomie synchronizują się pokoje jeszcze nieustawione."
        ),
    ),
    "privacy_help_time_only": (
        "The room and the time, no customer data at all.",
        "Pokój i czas, bez żadnych danych klienta.",
    ),
    "preview": (
        "Preview",
        "Podgląd",
    ),
    "preview_help": (
        "The title with a sample booking (Anna Nowak, 4 people).",
        "Tytuł z przykładową rezerwacją (Anna Nowak, 4 osoby).",
    ),
    "resync_prompt": (
        (
            "You changed the calendar of {rooms}. Bookings already synced stay in the old "
            "calendar until you re-sync."
        ),
        (
            "Zmieniono kalendarz pokoi: {rooms}. Już zsynchronizowane rezerwacje zostaną w "
            "starym kalendarzu do czasu synchronizacji."
        ),
    ),
    "blocks_title": (
        "Blocks from Google Calendar",
        "Blokady z Kalendarza Google",
    ),
    "blocks_weekdays": (
        "Mon Tue Wed Thu Fri Sat Sun",
        "pon. wt. śr. czw. pt. sob. niedz.",
    ),
    "blocks_months": (
        "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
        "sty lut mar kwi maj cze lip sie wrz paź lis gru",
    ),
    "blocks_when": (
        "{weekday} {day} {month} at {hour}",
        "{weekday} {day} {month}, godz. {hour}",
    ),
    "blocks_conflict_titled": (
        (
            "A customer's booking holds {room} on {when}; the staff event “{title}” covers it. "
            "The slot stays booked; it will be blocked if the booking is cancelled."
        ),
        (
            "Rezerwacja klienta zajmuje pokój {room} w terminie {when}; obejmuje go wydarzenie "
            "personelu „{title}”. Termin zostaje zarezerwowany; zostanie zablokowany, jeśli "
            "rezerwacja zostanie anulowana."
        ),
    ),
    "blocks_conflict": (
        (
            "A customer's booking holds {room} on {when}; a staff event in {calendar} covers it. "
            "The slot stays booked; it will be blocked if the booking is cancelled."
        ),
        (
            "Rezerwacja klienta zajmuje pokój {room} w terminie {when}; obejmuje go wydarzenie "
            "personelu w kalendarzu {calendar}. Termin zostaje zarezerwowany; zostanie "
            "zablokowany, jeśli rezerwacja zostanie anulowana."
        ),
    ),
    "blocks_held": (
        (
            "{count} blocks would be removed at once after a full re-read of the calendar. "
            "Nothing was removed."
        ),
        (
            "Po ponownym odczycie całego kalendarza trzeba by naraz usunąć blokady (liczba: "
            "{count}). Niczego nie usunięto."
        ),
    ),
    "blocks_held_next": (
        (
            "Look at the calendar in Google. If those events really went, remove the blocks; "
            "until then they stay in Lockme and new blocks are still made."
        ),
        (
            "Sprawdź kalendarz w Google. Jeśli te wydarzenia naprawdę zniknęły, usuń blokady; do "
            "tego czasu zostają w Lockme, a nowe blokady nadal powstają."
        ),
    ),
    "blocks_held_creates": (
        (
            "{count} slots would be blocked at once: more than the app blocks for one event "
            "without asking ({limit} slots, or a week or more of one room). Nothing was blocked "
            "yet."
        ),
        (
            "Trzeba by naraz zablokować terminy (liczba: {count}): więcej, niż aplikacja blokuje "
            "bez pytania dla jednego wydarzenia ({limit} terminów albo tydzień lub więcej "
            "jednego pokoju). Jeszcze niczego nie zablokowano."
        ),
    ),
    "blocks_held_creates_next": (
        (
            "A long event, or an invitation accepted by mistake, closes every slot it covers. If "
            "it is meant (a closure, say), block the slots; if not, change or delete the event "
            "in Google and this goes away."
        ),
        (
            "Długie wydarzenie albo zaproszenie przyjęte przez pomyłkę zamyka każdy termin, "
            "który obejmuje. Jeśli tak ma być (na przykład obiekt jest zamknięty), zablokuj "
            "terminy; jeśli nie, zmień lub usuń wydarzenie w Google, a ta prośba zniknie."
        ),
    ),
    "blocks_held_confirm": (
        "Remove {count} blocks now",
        "Usuń blokady ({count})",
    ),
    "blocks_held_confirm_creates": (
        "Block {count} slots now",
        "Zablokuj terminy ({count})",
    ),
    "blocks_held_confirm_both": (
        "Remove {frees} blocks and block {creates} slots now",
        "Usuń blokady ({frees}) i zablokuj terminy ({creates})",
    ),
    "blocks_confirmed": (
        "Done: {freed} block(s) removed, {created} slot(s) blocked.",
        "Gotowe. Usunięte blokady: {freed}, zablokowane terminy: {created}.",
    ),
    "blocks_confirm_more": (
        "The rest is done in the background within minutes, without asking again.",
        "Resztę aplikacja zrobi w tle w ciągu kilku minut, bez ponownego pytania.",
    ),
    "blocks_confirm_failed": (
        "It could not be done now: {error}. Try again in a minute.",
        "Nie udało się tego teraz zrobić: {error}. Spróbuj za minutę.",
    ),
    "blocks_skipped": (
        "Nothing was done: Google or Lockme is not connected.",
        "Nic nie zrobiono: Google lub Lockme nie jest połączony.",
    ),
    "blocks_nothing_held": (
        "Nothing waits for a confirmation in that room.",
        "W tym pokoju nic nie czeka na potwierdzenie.",
    ),
    "blocks_bad_room": (
        "A room number is 1 to 18 digits.",
        "Numer pokoju ma od 1 do 18 cyfr.",
    ),
    "blocks_error_unknown": (
        (
            "The last sync failed. It is tried again automatically; the details help whoever "
            "looks after the app."
        ),
        (
            "Ostatnia synchronizacja się nie udała. Aplikacja spróbuje ponownie sama; szczegóły "
            "pomogą osobie, która opiekuje się aplikacją."
        ),
    ),
    "blocks_rooms_intro": (
        (
            "Busy events in a room's blocks calendar close the Lockme slots they cover, so "
            "customers cannot book them. Several rooms may share one calendar. Preview first: "
            "nothing is written until you press Turn on."
        ),
        (
            "Zajęte wydarzenia w kalendarzu blokad pokoju zamykają terminy w Lockme, które "
            "obejmują, więc klienci nie mogą ich zarezerwować. Kilka pokoi może mieć wspólny "
            "kalendarz. Najpierw podgląd: nic nie jest zapisywane, dopóki nie klikniesz Włącz."
        ),
    ),
    "blocks_invitations": (
        (
            "An invitation from someone else blocks only once the calendar's owner accepts it "
            "(Yes in Google Calendar). One not answered yet, or answered Maybe, closes no slot; "
            "events the owner creates block as they are."
        ),
        (
            "Zaproszenie od kogoś innego blokuje dopiero wtedy, gdy właściciel kalendarza je "
            "przyjmie (Tak w Kalendarzu Google). Zaproszenie bez odpowiedzi albo z odpowiedzią "
            "Może nie zamyka żadnego terminu; wydarzenia utworzone przez właściciela blokują od "
            "razu."
        ),
    ),
    "blocks_lockme_note": (
        (
            "Do not run Lockme's own Google Calendar integration on these calendars: each would "
            "take the other's writes for the venue's, blocking slots twice, and its two-way mode "
            "can cancel customers' bookings. Turn it off in Lockme first."
        ),
        (
            "Nie używaj na tych kalendarzach własnej integracji Lockme z Kalendarzem Google: "
            "każda brałaby zapisy drugiej za zapisy obiektu i blokowała terminy podwójnie, a jej "
            "tryb dwukierunkowy może anulować rezerwacje klientów. Najpierw wyłącz ją w Lockme."
        ),
    ),
    "blocks_calendar": (
        "Blocks calendar",
        "Kalendarz blokad",
    ),
    "blocks_now": (
        "Now",
        "Teraz",
    ),
    "blocks_choose": (
        "— choose a calendar —",
        "— wybierz kalendarz —",
    ),
    "blocks_preview": (
        "Preview",
        "Podgląd",
    ),
    "blocks_state_on": (
        "On, from {calendar}: {count} block(s) in Lockme.",
        "Włączone, z kalendarza {calendar}. Blokady w Lockme: {count}.",
    ),
    "blocks_state_off": (
        "Off",
        "Wyłączone",
    ),
    "blocks_unreadable": (
        "the account cannot read it any more",
        "konto nie może go już czytać",
    ),
    "blocks_turn_off": (
        "Turn off…",
        "Wyłącz…",
    ),
    "blocks_turn_on": (
        "Turn on",
        "Włącz",
    ),
    "blocks_preview_title": (
        "Blocks for {room}: preview",
        "Blokady dla pokoju {room}: podgląd",
    ),
    "blocks_preview_intro": (
        "What turning on blocks from {calendar} would do, read now.",
        "Co zrobiłoby teraz włączenie blokad z kalendarza {calendar} (odczytane przed chwilą).",
    ),
    "blocks_preview_slots": (
        "Slots it would block ({count})",
        "Terminy do zablokowania ({count})",
    ),
    "blocks_preview_label": (
        "in Lockme: “{label}”",
        "w Lockme: „{label}”",
    ),
    "blocks_preview_none": (
        (
            "No slot would be blocked now: no busy event in this calendar covers a free slot of "
            "this room in the next {days} days. Events added later will block."
        ),
        (
            "Teraz nic nie zostałoby zablokowane: żadne zajęte wydarzenie w tym kalendarzu nie "
            "obejmuje wolnego terminu tego pokoju w ciągu {days} dni. Wydarzenia dodane później "
            "będą blokować."
        ),
    ),
    "blocks_preview_held": (
        "Slots customers hold already, left alone ({count})",
        "Terminy już zajęte przez klientów, bez zmian ({count})",
    ),
    "blocks_preview_more": (
        "… and {count} more.",
        "… i kolejne: {count}.",
    ),
    "blocks_preview_replaces": (
        "The room takes blocks from {calendar} now; turning this calendar on removes those.",
        "Pokój bierze teraz blokady z kalendarza {calendar}; włączenie tego kalendarza je usunie.",
    ),
    "blocks_preview_failed": (
        "The preview could not be read: {error}",
        "Nie udało się odczytać podglądu: {error}",
    ),
    "blocks_preview_already": (
        (
            "The room takes blocks from this calendar already: the lists show only what is not "
            "blocked yet."
        ),
        (
            "Pokój już bierze blokady z tego kalendarza: listy pokazują tylko to, czego jeszcze "
            "nie zablokowano."
        ),
    ),
    "blocks_preview_nothing_written": (
        "Nothing has been written to Lockme yet.",
        "Do Lockme nic jeszcze nie zapisano.",
    ),
    "blocks_back": (
        "Back to rooms",
        "Wróć do pokoi",
    ),
    "blocks_unknown_room": (
        "Lockme lists no such room for this account.",
        "Lockme nie ma takiego pokoju na tym koncie.",
    ),
    "blocks_on_done": (
        "Blocks on for {room} from {calendar}: syncing now.",
        "Włączono blokady dla pokoju {room} z kalendarza {calendar}; trwa synchronizacja.",
    ),
    "blocks_on_replaced": (
        "Its blocks from {calendar} are being removed.",
        "Blokady z kalendarza {calendar} są usuwane.",
    ),
    "blocks_off_title": (
        "Turn off blocks for {room}?",
        "Wyłączyć blokady dla pokoju {room}?",
    ),
    "blocks_off_intro": (
        (
            "The room stops taking blocks from {calendar}, and the {count} block(s) the app made "
            "for it are removed from Lockme, so customers can book those slots again. Customers' "
            "bookings are not touched."
        ),
        (
            "Pokój przestanie brać blokady z kalendarza {calendar}, a blokady utworzone dla "
            "niego przez aplikację zostaną usunięte z Lockme (liczba: {count}), więc klienci "
            "znów będą mogli rezerwować te terminy. Rezerwacje klientów pozostaną bez zmian."
        ),
    ),
    "blocks_off_confirm": (
        "Turn off and remove {count} block(s)",
        "Wyłącz i usuń blokady ({count})",
    ),
    "blocks_off_done": (
        "Blocks off for {room}: {count} block(s) removed from Lockme.",
        "Wyłączono blokady dla pokoju {room}. Usunięte z Lockme: {count}.",
    ),
    "blocks_off_partly": (
        (
            "Blocks off for {room}, but some blocks could not be removed yet ({error}); they are "
            "removed in the background."
        ),
        (
            "Wyłączono blokady dla pokoju {room}, ale części nie udało się jeszcze usunąć "
            "({error}); zostaną usunięte w tle."
        ),
    ),
    "blocks_already_off": (
        "{room} takes no blocks.",
        "Pokój {room} nie bierze blokad.",
    ),
}
