"""The sandbox's pages: the Lockme sandbox, its calendars, trouble to inject."""

from __future__ import annotations

from worker.texts import Text

# key: (English, Polish)
TEXTS: dict[str, Text] = {
    "nav_sandbox": (
        "Lockme sandbox",
        "Piaskownica Lockme",
    ),
    "nav_calendar": (
        "Sandbox calendars",
        "Kalendarze piaskownicy",
    ),
    "title": (
        "Lockme sandbox",
        "Piaskownica Lockme",
    ),
    "intro": (
        (
            "Act as Lockme's customers and as the world. A booking made here reaches this app as "
            "Lockme's webhook does, and the app writes it to the sandbox calendars."
        ),
        (
            "Działaj jak klienci Lockme i jak świat. Rezerwacja utworzona tutaj trafia do "
            "aplikacji tak jak webhook Lockme, a aplikacja zapisuje ją w kalendarzach "
            "piaskownicy."
        ),
    ),
    "connect_first": (
        (
            "Connect Lockme and Google on the Setup page first: until then bookings wait in "
            "Lockme, which keeps resending them."
        ),
        (
            "Najpierw połącz Lockme i Google na stronie Konfiguracja: do tego czasu rezerwacje "
            "czekają w Lockme, które wysyła je ponownie."
        ),
    ),
    "new_booking": (
        "New booking",
        "Nowa rezerwacja",
    ),
    "room": (
        "Room",
        "Pokój",
    ),
    "date": (
        "Date",
        "Data",
    ),
    "hour": (
        "Hour",
        "Godzina",
    ),
    "name": (
        "Customer",
        "Klient",
    ),
    "people": (
        "People",
        "Osoby",
    ),
    "phone": (
        "Phone",
        "Telefon",
    ),
    "book": (
        "Book",
        "Zarezerwuj",
    ),
    "booked": (
        "Booking {id} made in Lockme.",
        "Utworzono rezerwację {id} w Lockme.",
    ),
    "bookings": (
        "Bookings in Lockme ({count})",
        "Rezerwacje w Lockme ({count})",
    ),
    "no_bookings": (
        "No bookings yet.",
        "Brak rezerwacji.",
    ),
    "edit": (
        "Change or move",
        "Zmień lub przenieś",
    ),
    "save": (
        "Save changes",
        "Zapisz zmiany",
    ),
    "changed": (
        "Booking {id} changed in Lockme.",
        "Zmieniono rezerwację {id} w Lockme.",
    ),
    "cancel": (
        "Cancel booking",
        "Anuluj rezerwację",
    ),
    "cancelled": (
        "Booking {id} cancelled in Lockme.",
        "Anulowano rezerwację {id} w Lockme.",
    ),
    "unpaid": (
        "Unpaid: a lock.me hold for about 20 minutes",
        "Nieopłacona: lock.me trzyma termin przez około 20 minut",
    ),
    "unpaid_short": (
        "unpaid hold",
        "rezerwacja nieopłacona",
    ),
    "pay": (
        "Customer pays",
        "Klient płaci",
    ),
    "paid_done": (
        "Booking {id} paid in Lockme.",
        "Opłacono rezerwację {id} w Lockme.",
    ),
    "test_message": (
        "Send Lockme's test message",
        "Wyślij wiadomość testową Lockme",
    ),
    "test_sent": (
        "Lockme's test message {id} sent.",
        "Wysłano wiadomość testową Lockme {id}.",
    ),
    "trouble": (
        "Trouble",
        "Awarie",
    ),
    "trouble_help": (
        (
            "Break something and watch the app recover: Lockme resends a message until the app "
            "acknowledges it, which it does only after the calendar write."
        ),
        (
            "Zepsuj coś i zobacz, jak aplikacja się podnosi: Lockme wysyła wiadomość ponownie, "
            "dopóki aplikacja jej nie potwierdzi, a potwierdza dopiero po zapisie w kalendarzu."
        ),
    ),
    "google_down": (
        "Google fails for a minute",
        "Google nie działa przez minutę",
    ),
    "google_revoked": (
        "Revoke the Google grant",
        "Cofnij dostęp Google",
    ),
    "lockme_slow": (
        "Lockme slow for a minute",
        "Lockme wolne przez minutę",
    ),
    "clear": (
        "End trouble now",
        "Zakończ awarie teraz",
    ),
    "active_google_down": (
        "Google Calendar answers 503 ({seconds} s left).",
        "Kalendarz Google odpowiada 503 (jeszcze {seconds} s).",
    ),
    "active_google_revoked": (
        "The Google grant is revoked: reconnect Google on Setup.",
        "Dostęp Google cofnięty: połącz Google ponownie w Konfiguracji.",
    ),
    "active_lockme_slow": (
        "Lockme answers slowly ({seconds} s left).",
        "Lockme odpowiada wolno (jeszcze {seconds} s).",
    ),
    "no_trouble": (
        "No trouble now.",
        "Brak awarii.",
    ),
    "trouble_started": (
        "Trouble started.",
        "Awaria rozpoczęta.",
    ),
    "trouble_ended": (
        "Trouble ended.",
        "Awarie zakończone.",
    ),
    "unreachable": (
        "The sandbox does not answer: {error}",
        "Piaskownica nie odpowiada: {error}",
    ),
    "refused": (
        "The sandbox refused it: {error}",
        "Piaskownica odmówiła: {error}",
    ),
    "off_slot": (
        "{room} has no slot at {hour} on {day}; as on lock.me, pick one of its slots: {slots}.",
        "Pokój {room} nie ma slotu o {hour} w dniu {day}; jak na lock.me wybierz jeden z jego "
        "slotów: {slots}.",
    ),
    "calendar_title": (
        "Sandbox calendars",
        "Kalendarze piaskownicy",
    ),
    "calendar_help": (
        "This page updates by itself within seconds of a change.",
        "Strona odświeża się sama w kilka sekund po zmianie.",
    ),
    "week_of": (
        "Week of {date}",
        "Tydzień od {date}",
    ),
    "prev_week": (
        "← Previous week",
        "← Poprzedni tydzień",
    ),
    "this_week": (
        "This week",
        "Ten tydzień",
    ),
    "next_week": (
        "Next week →",
        "Następny tydzień →",
    ),
    "time": (
        "Time",
        "Godzina",
    ),
    "no_events": (
        "No events this week.",
        "Brak wydarzeń w tym tygodniu.",
    ),
    "open_calendar": (
        "Open the sandbox calendars",
        "Otwórz kalendarze piaskownicy",
    ),
    "days": (
        "Mon Tue Wed Thu Fri Sat Sun",
        "Pn Wt Śr Cz Pt So Nd",
    ),
    "webhooks": (
        "Webhooks from Lockme",
        "Webhooki z Lockme",
    ),
    "webhooks_help": (
        (
            "Lockme repeats each message at growing intervals until the app acknowledges it, "
            "which the app does only once the calendar is written."
        ),
        (
            "Lockme powtarza każdą wiadomość w coraz dłuższych odstępach, dopóki aplikacja jej "
            "nie potwierdzi, a aplikacja potwierdza ją dopiero po zapisie w kalendarzu."
        ),
    ),
    "message": (
        "Message",
        "Wiadomość",
    ),
    "booking": (
        "Booking",
        "Rezerwacja",
    ),
    "deliveries": (
        "Deliveries",
        "Doręczenia",
    ),
    "acknowledged": (
        "Acknowledged",
        "Potwierdzona",
    ),
    "yes": (
        "yes",
        "tak",
    ),
    "waiting": (
        "not yet",
        "jeszcze nie",
    ),
    "no_webhooks": (
        "No messages yet.",
        "Brak wiadomości.",
    ),
    "webhook_steps": (
        "In the sandbox",
        "W piaskownicy",
    ),
    "webhook_step": (
        (
            "Nothing to set up: the sandbox's Lockme already sends every booking to this "
            "address. Make a booking on the Lockme sandbox page to see one arrive."
        ),
        (
            "Nic nie trzeba ustawiać: Lockme z piaskownicy już wysyła każdą rezerwację na ten "
            "adres. Utwórz rezerwację na stronie piaskownicy Lockme, by zobaczyć, jak dociera."
        ),
    ),
    "step_webhook": (
        "Webhook address reachable by the sandbox's Lockme",
        "Adres webhooka osiągalny dla Lockme z piaskownicy",
    ),
    "todo_first_message": (
        "Make a booking on the Lockme sandbox page.",
        "Utwórz rezerwację na stronie piaskownicy Lockme.",
    ),
    "slots": (
        "Slots in Lockme",
        "Sloty w Lockme",
    ),
    "slots_help": (
        (
            "Each room's slots on one day, as Lockme holds them. A busy staff event in a room's "
            "blocks calendar closes the slots it covers within seconds; reload this page to see "
            "it."
        ),
        (
            "Sloty każdego pokoju w wybranym dniu, tak jak widzi je Lockme. Zajęte wydarzenie "
            "personelu w kalendarzu blokad pokoju zamyka objęte nim sloty w kilka sekund; "
            "odśwież stronę, aby to zobaczyć."
        ),
    ),
    "slots_day": (
        "Day",
        "Dzień",
    ),
    "show": (
        "Show",
        "Pokaż",
    ),
    "blocks_from": (
        "Blocks from: {calendar}",
        "Blokady z: {calendar}",
    ),
    "no_blocks": (
        "No blocks calendar",
        "Bez kalendarza blokad",
    ),
    "slot_free": (
        "Free",
        "Wolny",
    ),
    "slot_booked": (
        "Booked — {name}",
        "Zarezerwowany — {name}",
    ),
    "slot_held": (
        "Held, unpaid — {name}",
        "Rezerwacja nieopłacona — {name}",
    ),
    "see_in_calendar": (
        "See it in the sandbox calendars (week of {date})",
        "Zobacz ją w kalendarzach piaskownicy (tydzień {date})",
    ),
    "slot_blocked": (
        "Blocked — Google Calendar",
        "Zablokowany — Kalendarz Google",
    ),
    "no_slots": (
        "No slots that day.",
        "Brak slotów tego dnia.",
    ),
    "staff_events": (
        "Staff events",
        "Wydarzenia personelu",
    ),
    "staff_help": (
        (
            "Act as staff in Google Calendar: a busy event in the {calendar} calendar blocks the "
            "covered Lockme slots of {rooms}; a free one blocks nothing."
        ),
        (
            "Działaj jak personel w Kalendarzu Google: zajęte wydarzenie w kalendarzu {calendar} "
            "blokuje objęte nim sloty Lockme pokojów: {rooms}; wolne nie blokuje niczego."
        ),
    ),
    "staff_help_none": (
        (
            "Act as staff in Google Calendar. No room takes blocks from the {calendar} calendar "
            "now (the rooms page turns them on), so its events block nothing."
        ),
        (
            "Działaj jak personel w Kalendarzu Google. Żaden pokój nie bierze teraz blokad z "
            "kalendarza {calendar} (włącza je strona pokoi), więc jego wydarzenia niczego nie "
            "blokują."
        ),
    ),
    "staff_calendar": (
        "Calendar",
        "Kalendarz",
    ),
    "staff_title": (
        "Title",
        "Tytuł",
    ),
    "staff_default_title": (
        "Staff only",
        "Tylko personel",
    ),
    "staff_from": (
        "From",
        "Od",
    ),
    "staff_to": (
        "To",
        "Do",
    ),
    "all_day": (
        "All day",
        "Cały dzień",
    ),
    "show_as": (
        "Show as",
        "Pokaż jako",
    ),
    "busy": (
        "Busy",
        "Zajęty",
    ),
    "free": (
        "Free",
        "Wolny",
    ),
    "staff_add": (
        "Add staff event",
        "Dodaj wydarzenie personelu",
    ),
    "staff_move": (
        "Move",
        "Przenieś",
    ),
    "staff_delete": (
        "Delete",
        "Usuń",
    ),
    "staff_added": (
        "Staff event added to Google Calendar.",
        "Dodano wydarzenie personelu w Kalendarzu Google.",
    ),
    "staff_moved": (
        "Staff event moved in Google Calendar.",
        "Przeniesiono wydarzenie personelu w Kalendarzu Google.",
    ),
    "staff_deleted": (
        "Staff event deleted from Google Calendar.",
        "Usunięto wydarzenie personelu z Kalendarza Google.",
    ),
    "no_staff_events": (
        "No staff events this week.",
        "Brak wydarzeń personelu w tym tygodniu.",
    ),
    "staff_badge": (
        "staff event",
        "wydarzenie personelu",
    ),
}
