"""The staff pages' texts, one module per page, each entry's English and Polish side by
side (``worker.texts``). ``PAGES`` serves the staff pages, ``SANDBOX`` the sandbox's."""

from __future__ import annotations

from app.texts import common, guides, login, problems, rooms, sandbox, setup, status
from worker.domain.wording import FAILURE_WORDS, HISTORY_WORDS
from worker.sandbox.consent_texts import BANNER
from worker.texts import Catalog

PAGES = Catalog(
    common.TEXTS,
    login.TEXTS,
    setup.TEXTS,
    rooms.TEXTS,
    status.TEXTS,
    problems.TEXTS,
    guides.TEXTS,
    HISTORY_WORDS,
    FAILURE_WORDS,
)
SANDBOX = Catalog(sandbox.TEXTS, BANNER)
