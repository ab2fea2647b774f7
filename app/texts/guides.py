"""The help page and its guides."""

from __future__ import annotations

from worker.texts import Text

# key: (English, Polish)
TEXTS: dict[str, Text] = {
    "next_step": (
        "What to do:",
        "Co zrobić:",
    ),
    "help_title": (
        "Help",
        "Pomoc",
    ),
    "help_intro": (
        "Start from what you see on the status page: each entry says what it means and what to do.",
        "Zacznij od tego, co widać na stronie stanu: każdy wpis mówi, co to znaczy i co zrobić.",
    ),
    "help_apps_title": (
        "Registering the OAuth apps",
        "Rejestracja aplikacji OAuth",
    ),
    "help_apps": (
        (
            "The Connect buttons on the setup page are greyed out until the app is registered "
            "with Lockme (through Lockme's partner support) and with Google (Google Cloud "
            "console). Whoever runs the app registers the redirect addresses shown on the setup "
            "page, sets the four client settings and restarts it; the guides below go step by "
            "step."
        ),
        (
            "Przyciski Połącz na stronie konfiguracji są wyszarzone, dopóki aplikacja nie "
            "zostanie zarejestrowana w Lockme (przez wsparcie partnerów Lockme) i w Google "
            "(konsola Google Cloud). Osoba utrzymująca aplikację rejestruje adresy "
            "przekierowania pokazane na stronie konfiguracji, ustawia cztery ustawienia klienta "
            "i uruchamia ją ponownie; poradniki poniżej prowadzą krok po kroku."
        ),
    ),
    "help_public_title": (
        "A webhook address Lockme can reach",
        "Adres webhooka osiągalny z internetu",
    ),
    "help_public": (
        (
            "The checklist warns about the webhook address, and new bookings never reach the "
            "app: Lockme calls the app from the internet, so its address must be public and "
            "start with https. Whoever runs the app deploys it (see the Heroku guide) or sets "
            "PUBLIC_URL to a public address. The sandbox is the exception: it runs on this "
            "computer."
        ),
        (
            "Lista kroków ostrzega przed adresem webhooka, a nowe rezerwacje nie docierają do "
            "aplikacji: Lockme wywołuje aplikację z internetu, więc jej adres musi być publiczny "
            "i zaczynać się od https. Osoba utrzymująca aplikację wdraża ją (poradnik Heroku) "
            "albo ustawia PUBLIC_URL na publiczny adres. Wyjątkiem jest piaskownica: działa na "
            "tym komputerze."
        ),
    ),
    "help_docs": (
        "Guides for whoever runs the app:",
        "Poradniki dla osoby utrzymującej aplikację:",
    ),
    "guide_in_english": (
        "(in English)",
        "(po angielsku)",
    ),
    "guide_troubleshooting": (
        "Troubleshooting, by what staff see",
        "Rozwiązywanie problemów, według tego, co widzi obsługa",
    ),
    "guide_setup_lockme": (
        "Registering the Lockme app and the webhook",
        "Rejestracja aplikacji Lockme i webhooka",
    ),
    "guide_setup_google": (
        "Creating the Google OAuth client",
        "Tworzenie klienta OAuth Google",
    ),
    "guide_deploy_heroku": (
        "Deploying on Heroku",
        "Wdrożenie na Heroku",
    ),
    "guide_operating": (
        "Operating it: status, replay, alerts, logs",
        "Utrzymanie: stan, ponawianie, alerty, logi",
    ),
    "guide_blocks": (
        "Calendar → Lockme blocks: the rules and the safety guards",
        "Blokady z kalendarza w Lockme: zasady i zabezpieczenia",
    ),
    "blocks_help_title": (
        "Blocks, and Lockme's own Google Calendar integration",
        "Blokady a własna integracja Lockme z Kalendarzem Google",
    ),
    "blocks_help": (
        (
            "Use one or the other for a calendar, never both. Lockme's integration writes every "
            "reservation into Google, the app's blocks included, and in a blocks calendar those "
            "events would block their slots again; its vacation calendar makes its own "
            "reservations for the same events, so every slot would be claimed twice; and in its "
            "two-way mode deleting an event in Google deletes the booking in Lockme. To move to "
            "the app, turn Lockme's integration off first, then preview and turn on blocks on "
            "the rooms page. The guide to blocks, below, says more."
        ),
        (
            "Dla jednego kalendarza używaj jednego albo drugiego, nigdy obu. Integracja Lockme "
            "zapisuje w Google każdą rezerwację, także blokady aplikacji, a w kalendarzu blokad "
            "te wydarzenia znów blokowałyby swoje terminy; jej kalendarz urlopowy tworzy własne "
            "rezerwacje dla tych samych wydarzeń, więc każdy termin byłby zajęty dwa razy; a w "
            "trybie dwukierunkowym usunięcie wydarzenia w Google usuwa rezerwację w Lockme. Aby "
            "przejść na aplikację, najpierw wyłącz integrację Lockme, potem na stronie pokoi "
            "obejrzyj podgląd i włącz blokady. Więcej w przewodniku o blokadach poniżej."
        ),
    ),
}
