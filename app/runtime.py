"""Access to the engine's runtime from request handlers."""

from __future__ import annotations

from flask import current_app

from worker.runtime import Runtime


def runtime() -> Runtime:
    return current_app.extensions["lockme_runtime"]
