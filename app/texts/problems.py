"""What went wrong, in plain words: why, what to do next, and the help entry."""

from __future__ import annotations

from worker.texts import Text

# key: (English, Polish)
TEXTS: dict[str, Text] = {
    "conn_down": (
        "{provider} isn't answering right now.",
        "{provider} teraz nie odpowiada.",
    ),
    "service_refused": (
        "{provider} answered with an error.",
        "{provider} odpowiedział błędem.",
    ),
    "next_bad_message": (
        (
            "Open the booking in Lockme and correct it; saving it sends a new message. Or retry "
            "after the fix."
        ),
        (
            "Otwórz rezerwację w Lockme i popraw ją; zapisanie wyśle nową wiadomość. Albo ponów "
            "po poprawce."
        ),
    ),
    "next_message_gone": (
        (
            "Nothing is lost: re-sync upcoming bookings on the rooms page to compare the "
            "calendar with Lockme."
        ),
        (
            "Nic nie ginie: zsynchronizuj nadchodzące rezerwacje na stronie pokoi, by porównać "
            "kalendarz z Lockme."
        ),
    ),
    "next_rate_limited": (
        "Nothing to do: it is retried automatically. Retry now if it waits.",
        "Nic nie trzeba robić: ponowi się samo. Możesz ponowić od razu.",
    ),
    "next_calendar_forbidden": (
        (
            "Share the calendar with the connected account (Make changes to events) or choose "
            "another calendar on the rooms page, then retry."
        ),
        (
            "Udostępnij kalendarz połączonemu kontu (Wprowadzanie zmian w wydarzeniach) albo "
            "wybierz inny kalendarz na stronie pokoi, potem ponów."
        ),
    ),
    "next_calendar_missing": (
        "Choose a calendar for the room on the rooms page, then retry.",
        "Wybierz kalendarz dla pokoju na stronie pokoi, potem ponów.",
    ),
    "next_unreachable": (
        "Check the connections on the setup page, then retry.",
        "Sprawdź połączenia na stronie konfiguracji, potem ponów.",
    ),
    "next_unknown": (
        "Retry. If it fails again, the details below help whoever looks after the app.",
        "Ponów. Jeśli znów się nie uda, szczegóły poniżej pomogą osobie opiekującej się aplikacją.",
    ),
    "help_bad_message": (
        (
            "The message has a date, hour or field the app cannot turn into a calendar event, so "
            "it was recorded here with its content instead of being lost."
        ),
        (
            "Wiadomość ma datę, godzinę albo pole, których nie da się zamienić na wydarzenie, "
            "więc zapisano ją tutaj razem z treścią, zamiast ją zgubić."
        ),
    ),
    "help_message_gone": (
        (
            "The booking's change shows in failures, but Lockme no longer has its message: it "
            "was removed, or is older than Lockme keeps messages. The booking itself may still "
            "exist."
        ),
        (
            "Zmiana rezerwacji jest wśród błędów, ale Lockme nie ma już jej wiadomości: została "
            "usunięta albo jest starsza, niż Lockme je przechowuje. Sama rezerwacja może nadal "
            "istnieć."
        ),
    ),
    "help_rate_limited": (
        (
            "Bookings arrive in the calendar late during a busy moment: Google allows only so "
            "many changes a minute, and asked the app to wait."
        ),
        (
            "W ruchliwej chwili rezerwacje trafiają do kalendarza z opóźnieniem: Google pozwala "
            "na ograniczoną liczbę zmian na minutę i poprosił aplikację o chwilę przerwy."
        ),
    ),
    "help_calendar_forbidden": (
        (
            "A room's bookings do not appear in its calendar: the Google account connected on "
            "the setup page can see that calendar but may not change it."
        ),
        (
            "Rezerwacje pokoju nie pojawiają się w jego kalendarzu: konto Google połączone na "
            "stronie konfiguracji widzi ten kalendarz, ale nie może go zmieniać."
        ),
    ),
    "help_calendar_missing": (
        (
            "A room's bookings do not appear in its calendar: the calendar chosen for the room "
            "was deleted, or is no longer shared with the connected account."
        ),
        (
            "Rezerwacje pokoju nie pojawiają się w jego kalendarzu: kalendarz wybrany dla pokoju "
            "został usunięty albo przestał być udostępniany połączonemu kontu."
        ),
    ),
    "help_unreachable": (
        (
            "A booking was tried many times over about 45 minutes and never reached the "
            "calendar, because Lockme or Google did not answer. Usually a passing outage."
        ),
        (
            "Rezerwację próbowano zapisać wiele razy przez około 45 minut i nie trafiła do "
            "kalendarza, bo Lockme albo Google nie odpowiadał. Zwykle to chwilowa awaria."
        ),
    ),
    "help_unknown": (
        "The app has no plain explanation for this error yet; the raw text says more.",
        "Aplikacja nie ma jeszcze prostego wyjaśnienia tego błędu; więcej mówi surowy tekst.",
    ),
    "why_grant_revoked": (
        "A connection asks to be made again",
        "Połączenie trzeba nawiązać ponownie",
    ),
    "help_grant_revoked": (
        (
            "The status page says a service “no longer accepts the app's access”, and a red "
            "banner asks to reconnect. Someone removed the app's access in the Google or Lockme "
            "account, changed its password, or the access expired. New bookings are not lost: "
            "each one waits on the status page."
        ),
        (
            "Strona stanu mówi, że usługa „nie przyjmuje już dostępu aplikacji”, a czerwony "
            "pasek prosi o ponowne połączenie. Ktoś odebrał aplikacji dostęp w koncie Google "
            "albo Lockme, zmienił hasło, albo dostęp wygasł. Nowe rezerwacje nie giną: każda "
            "czeka na stronie stanu."
        ),
    ),
    "next_grant_revoked": (
        (
            "Press “Reconnect Google” (or “Reconnect Lockme”) and allow access again with the "
            "same account. The waiting bookings then sync by themselves."
        ),
        (
            "Naciśnij „Połącz ponownie z Google” (albo „Połącz ponownie z Lockme”) i zezwól na "
            "dostęp tym samym kontem. Czekające rezerwacje zsynchronizują się same."
        ),
    ),
    "why_service_down": (
        "Google or Lockme isn't answering",
        "Google albo Lockme nie odpowiada",
    ),
    "help_service_down": (
        (
            "The status page says a service “isn't answering since …”, and bookings show as "
            "“waiting to retry”. The service is down or slow for a while; the app keeps every "
            "booking and tries again by itself, and checks the service every 20 seconds."
        ),
        (
            "Strona stanu mówi, że usługa „nie odpowiada od …”, a rezerwacje mają stan „czeka na "
            "ponowienie”. Usługa nie działa albo działa wolno; aplikacja przechowuje każdą "
            "rezerwację, ponawia ją sama i co 20 sekund sprawdza usługę."
        ),
    ),
    "next_service_down": (
        (
            "Nothing to do: the bookings sync by themselves within a minute of the service "
            "answering again. If it lasts more than an hour, check the service's own status page."
        ),
        (
            "Nic nie trzeba robić: rezerwacje zsynchronizują się same w ciągu minuty od powrotu "
            "usługi. Jeśli trwa to ponad godzinę, sprawdź stronę stanu tej usługi."
        ),
    ),
}
