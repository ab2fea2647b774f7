"""Texts in two languages, each entry's English and Polish side by side, and their one lookup.

The staff pages (``app.texts``), the sandbox's pages and its consent screens each keep their
texts in catalogs of entries ``key: (English, Polish)``: a text's two versions sit on
adjacent lines, so a change to one shows its twin, and a missing translation is a missing
tuple element that the catalog refuses at import, not a blank on a page. A dictionary is
enough for two languages and keeps the pages free of a gettext toolchain.
"""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("en", "pl")

# (English, Polish)
Text = tuple[str, str]


class Catalog:
    """Texts gathered from several modules' tables; a key defined twice is an error, so
    that two pages cannot silently disagree about one text."""

    def __init__(self, *tables: Mapping[str, Text]) -> None:
        self._texts: dict[str, Text] = {}
        for table in tables:
            for key, text in table.items():
                if key in self._texts:
                    raise ValueError(f"text {key!r} is defined twice")
                if len(text) != len(LANGUAGES) or not all(text):
                    raise ValueError(f"text {key!r} needs {' and '.join(LANGUAGES)} versions")
                self._texts[key] = text

    def __contains__(self, key: object) -> bool:
        return key in self._texts

    def text(self, key: str, lang: str, **values: object) -> str:
        """``key``'s text in ``lang`` (English for a language it lacks), ``{name}`` filled."""
        index = LANGUAGES.index(lang) if lang in LANGUAGES else 0
        text = self._texts[key][index]
        return text.format(**values) if values else text

    def table(self, lang: str) -> dict[str, str]:
        """Every text in ``lang``, by key: for the tests that check pages against them."""
        index = LANGUAGES.index(lang)
        return {key: text[index] for key, text in self._texts.items()}
