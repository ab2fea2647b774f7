"""The staff login page."""

from __future__ import annotations

from worker.texts import Text

# key: (English, Polish)
TEXTS: dict[str, Text] = {
    "login_title": (
        "Staff login",
        "Logowanie obsługi",
    ),
    "password": (
        "Password",
        "Hasło",
    ),
    "login_button": (
        "Log in",
        "Zaloguj",
    ),
    "login_wrong": (
        "Wrong password.",
        "Złe hasło.",
    ),
    "login_wait": (
        "Too many wrong passwords from here: try again in {seconds} s.",
        "Zbyt wiele błędnych haseł z tego miejsca: spróbuj ponownie za {seconds} s.",
    ),
    "csrf_failed": (
        "The form expired or did not come from this site. Reload the page and try again.",
        "Formularz wygasł albo nie pochodzi z tej strony. Odśwież stronę i spróbuj ponownie.",
    ),
}
