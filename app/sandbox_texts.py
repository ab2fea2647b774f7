"""English and Polish texts of the sandbox pages and banner.

Kept beside :mod:`app.i18n` rather than in it: these pages exist only in sandbox mode,
and their texts change with the sandbox, not with the staff pages.
"""

from __future__ import annotations

from app.i18n import language
from worker.sandbox.consent_texts import TEXTS as CONSENT_TEXTS

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "banner": CONSENT_TEXTS["en"]["banner"],
        "nav_sandbox": "Lockme sandbox",
        "nav_calendar": "Sandbox calendars",
        "title": "Lockme sandbox",
        "intro": (
            "Act as Lockme's customers and as the world. A booking made here reaches this app"
            " as Lockme's webhook does, and the app writes it to the sandbox calendars."
        ),
        "connect_first": (
            "Connect Lockme and Google on the Setup page first: until then bookings wait"
            " in Lockme, which keeps resending them."
        ),
        "new_booking": "New booking",
        "room": "Room",
        "date": "Date",
        "hour": "Hour",
        "name": "Customer",
        "people": "People",
        "phone": "Phone",
        "book": "Book",
        "booked": "Booking {id} made in Lockme.",
        "bookings": "Bookings in Lockme ({count})",
        "no_bookings": "No bookings yet.",
        "edit": "Change or move",
        "save": "Save changes",
        "changed": "Booking {id} changed in Lockme.",
        "cancel": "Cancel booking",
        "cancelled": "Booking {id} cancelled in Lockme.",
        "unpaid": "Unpaid: a lock.me hold for about 20 minutes",
        "unpaid_short": "unpaid hold",
        "pay": "Customer pays",
        "paid_done": "Booking {id} paid in Lockme.",
        "test_message": "Send Lockme's test message",
        "test_sent": "Lockme's test message {id} sent.",
        "trouble": "Trouble",
        "trouble_help": (
            "Break something and watch the app recover: Lockme resends a message until the"
            " app acknowledges it, which it does only after the calendar write."
        ),
        "google_down": "Google fails for a minute",
        "google_revoked": "Revoke the Google grant",
        "lockme_slow": "Lockme slow for a minute",
        "clear": "End trouble now",
        "active_google_down": "Google Calendar answers 503 ({seconds} s left).",
        "active_google_revoked": "The Google grant is revoked: reconnect Google on Setup.",
        "active_lockme_slow": "Lockme answers slowly ({seconds} s left).",
        "no_trouble": "No trouble now.",
        "trouble_started": "Trouble started.",
        "trouble_ended": "Trouble ended.",
        "unreachable": "The sandbox does not answer: {error}",
        "calendar_title": "Sandbox calendars",
        "calendar_help": "This page updates by itself within seconds of a change.",
        "week_of": "Week of {date}",
        "prev_week": "← Previous week",
        "this_week": "This week",
        "next_week": "Next week →",
        "time": "Time",
        "no_events": "No events this week.",
        "open_calendar": "Open the sandbox calendars",
        "days": "Mon Tue Wed Thu Fri Sat Sun",
        "webhooks": "Webhooks from Lockme",
        "webhooks_help": (
            "Lockme repeats each message at growing intervals until the app acknowledges it,"
            " which the app does only once the calendar is written."
        ),
        "message": "Message",
        "booking": "Booking",
        "deliveries": "Deliveries",
        "acknowledged": "Acknowledged",
        "yes": "yes",
        "waiting": "not yet",
        "no_webhooks": "No messages yet.",
        "webhook_steps": "In the sandbox",
        "webhook_step": (
            "Nothing to set up: the sandbox's Lockme already sends every booking to this"
            " address. Make a booking on the Lockme sandbox page to see one arrive."
        ),
        "step_webhook": "Webhook address reachable by the sandbox's Lockme",
        "todo_first_message": "Make a booking on the Lockme sandbox page.",
        # --- blocks: staff events and the Lockme slots they close -------------------------
        "slots": "Slots in Lockme",
        "slots_help": (
            "Each room's slots on one day, as Lockme holds them. A busy staff event in a"
            " room's blocks calendar closes the slots it covers within seconds; reload this"
            " page to see it."
        ),
        "slots_day": "Day",
        "show": "Show",
        "blocks_from": "Blocks from: {calendar}",
        "no_blocks": "No blocks calendar",
        "slot_free": "Free",
        "slot_booked": "Booked — {name}",
        "slot_held": "Held, unpaid — {name}",
        "see_in_calendar": "See it in the sandbox calendars (week of {date})",
        "slot_blocked": "Blocked — Google Calendar",
        "no_slots": "No slots that day.",
        "staff_events": "Staff events",
        "staff_help": (
            "Act as staff in Google Calendar: a busy event in the {calendar} calendar blocks the"
            " covered Lockme slots of {rooms}; a free one blocks nothing."
        ),
        "staff_help_none": (
            "Act as staff in Google Calendar. No room takes blocks from the {calendar} calendar"
            " now (the rooms page turns them on), so its events block nothing."
        ),
        "staff_calendar": "Calendar",
        "staff_title": "Title",
        "staff_default_title": "Staff only",
        "staff_from": "From",
        "staff_to": "To",
        "all_day": "All day",
        "show_as": "Show as",
        "busy": "Busy",
        "free": "Free",
        "staff_add": "Add staff event",
        "staff_move": "Move",
        "staff_delete": "Delete",
        "staff_added": "Staff event added to Google Calendar.",
        "staff_moved": "Staff event moved in Google Calendar.",
        "staff_deleted": "Staff event deleted from Google Calendar.",
        "no_staff_events": "No staff events this week.",
        "staff_badge": "staff event",
    },
    "pl": {
        "banner": CONSENT_TEXTS["pl"]["banner"],
        "nav_sandbox": "Piaskownica Lockme",
        "nav_calendar": "Kalendarze piaskownicy",
        "title": "Piaskownica Lockme",
        "intro": (
            "Działaj jak klienci Lockme i jak świat. Rezerwacja utworzona tutaj trafia do"
            " aplikacji tak jak webhook Lockme, a aplikacja zapisuje ją w kalendarzach"
            " piaskownicy."
        ),
        "connect_first": (
            "Najpierw połącz Lockme i Google na stronie Konfiguracja: do tego czasu"
            " rezerwacje czekają w Lockme, które wysyła je ponownie."
        ),
        "new_booking": "Nowa rezerwacja",
        "room": "Pokój",
        "date": "Data",
        "hour": "Godzina",
        "name": "Klient",
        "people": "Osoby",
        "phone": "Telefon",
        "book": "Zarezerwuj",
        "booked": "Utworzono rezerwację {id} w Lockme.",
        "bookings": "Rezerwacje w Lockme ({count})",
        "no_bookings": "Brak rezerwacji.",
        "edit": "Zmień lub przenieś",
        "save": "Zapisz zmiany",
        "changed": "Zmieniono rezerwację {id} w Lockme.",
        "cancel": "Anuluj rezerwację",
        "cancelled": "Anulowano rezerwację {id} w Lockme.",
        "unpaid": "Nieopłacona: blokada z lock.me na około 20 minut",
        "unpaid_short": "nieopłacona blokada",
        "pay": "Klient płaci",
        "paid_done": "Opłacono rezerwację {id} w Lockme.",
        "test_message": "Wyślij wiadomość testową Lockme",
        "test_sent": "Wysłano wiadomość testową Lockme {id}.",
        "trouble": "Awarie",
        "trouble_help": (
            "Zepsuj coś i zobacz, jak aplikacja się podnosi: Lockme wysyła wiadomość"
            " ponownie, dopóki aplikacja jej nie potwierdzi, a potwierdza dopiero po"
            " zapisie w kalendarzu."
        ),
        "google_down": "Google nie działa przez minutę",
        "google_revoked": "Cofnij dostęp Google",
        "lockme_slow": "Lockme wolne przez minutę",
        "clear": "Zakończ awarie teraz",
        "active_google_down": "Kalendarz Google odpowiada 503 (jeszcze {seconds} s).",
        "active_google_revoked": "Dostęp Google cofnięty: połącz Google ponownie w Konfiguracji.",
        "active_lockme_slow": "Lockme odpowiada wolno (jeszcze {seconds} s).",
        "no_trouble": "Brak awarii.",
        "trouble_started": "Awaria rozpoczęta.",
        "trouble_ended": "Awarie zakończone.",
        "unreachable": "Piaskownica nie odpowiada: {error}",
        "calendar_title": "Kalendarze piaskownicy",
        "calendar_help": "Strona odświeża się sama w kilka sekund po zmianie.",
        "week_of": "Tydzień od {date}",
        "prev_week": "← Poprzedni tydzień",
        "this_week": "Ten tydzień",
        "next_week": "Następny tydzień →",
        "time": "Godzina",
        "no_events": "Brak wydarzeń w tym tygodniu.",
        "open_calendar": "Otwórz kalendarze piaskownicy",
        "days": "Pn Wt Śr Cz Pt So Nd",
        "webhooks": "Webhooki z Lockme",
        "webhooks_help": (
            "Lockme powtarza każdą wiadomość w coraz dłuższych odstępach, dopóki aplikacja"
            " jej nie potwierdzi, a aplikacja potwierdza ją dopiero po zapisie w kalendarzu."
        ),
        "message": "Wiadomość",
        "booking": "Rezerwacja",
        "deliveries": "Doręczenia",
        "acknowledged": "Potwierdzona",
        "yes": "tak",
        "waiting": "jeszcze nie",
        "no_webhooks": "Brak wiadomości.",
        "webhook_steps": "W piaskownicy",
        "webhook_step": (
            "Nic nie trzeba ustawiać: Lockme z piaskownicy już wysyła każdą rezerwację na ten"
            " adres. Utwórz rezerwację na stronie piaskownicy Lockme, by zobaczyć, jak dociera."
        ),
        "step_webhook": "Adres webhooka osiągalny dla Lockme z piaskownicy",
        "todo_first_message": "Utwórz rezerwację na stronie piaskownicy Lockme.",
        # --- blokady: wydarzenia personelu i zamykane przez nie sloty w Lockme -------------
        "slots": "Sloty w Lockme",
        "slots_help": (
            "Sloty każdego pokoju w wybranym dniu, tak jak widzi je Lockme. Zajęte wydarzenie"
            " personelu w kalendarzu blokad pokoju zamyka objęte nim sloty w kilka sekund;"
            " odśwież stronę, aby to zobaczyć."
        ),
        "slots_day": "Dzień",
        "show": "Pokaż",
        "blocks_from": "Blokady z: {calendar}",
        "no_blocks": "Bez kalendarza blokad",
        "slot_free": "Wolny",
        "slot_booked": "Zarezerwowany — {name}",
        "slot_held": "Rezerwacja nieopłacona — {name}",
        "see_in_calendar": "Zobacz ją w kalendarzach piaskownicy (tydzień {date})",
        "slot_blocked": "Zablokowany — Kalendarz Google",
        "no_slots": "Brak slotów tego dnia.",
        "staff_events": "Wydarzenia personelu",
        "staff_help": (
            "Działaj jak personel w Kalendarzu Google: zajęte wydarzenie w kalendarzu {calendar}"
            " blokuje objęte nim sloty Lockme pokojów: {rooms}; wolne nie blokuje niczego."
        ),
        "staff_help_none": (
            "Działaj jak personel w Kalendarzu Google. Żaden pokój nie bierze teraz blokad z"
            " kalendarza {calendar} (włącza je strona pokoi), więc jego wydarzenia niczego nie"
            " blokują."
        ),
        "staff_calendar": "Kalendarz",
        "staff_title": "Tytuł",
        "staff_default_title": "Tylko personel",
        "staff_from": "Od",
        "staff_to": "Do",
        "all_day": "Cały dzień",
        "show_as": "Pokaż jako",
        "busy": "Zajęty",
        "free": "Wolny",
        "staff_add": "Dodaj wydarzenie personelu",
        "staff_move": "Przenieś",
        "staff_delete": "Usuń",
        "staff_added": "Dodano wydarzenie personelu w Kalendarzu Google.",
        "staff_moved": "Przeniesiono wydarzenie personelu w Kalendarzu Google.",
        "staff_deleted": "Usunięto wydarzenie personelu z Kalendarza Google.",
        "no_staff_events": "Brak wydarzeń personelu w tym tygodniu.",
        "staff_badge": "wydarzenie personelu",
    },
}


def st(key: str, **values: object) -> str:
    """The sandbox text for ``key`` in the request's language (see :func:`app.i18n.t`)."""
    text = MESSAGES[language()].get(key) or MESSAGES["en"][key]
    return text.format(**values) if values else text
