"""Access to the engine's runtime from request handlers: one per thread.

gunicorn serves each worker process's requests from several threads; the Google client is
not thread-safe, so each thread gets a runtime with its own (``worker.runtime.for_thread``),
made on its first request and kept for the thread's life.
"""

from __future__ import annotations

import threading

from flask import Flask, current_app

from worker.runtime import Runtime, for_thread

_SHARED = "lockme_runtime"
_PER_THREAD = "lockme_thread_runtime"


def install(app: Flask, shared: Runtime) -> None:
    """Give ``app`` the process's runtime, from which each thread's is made."""
    app.extensions[_SHARED] = shared
    app.extensions[_PER_THREAD] = threading.local()


def runtime() -> Runtime:
    local = current_app.extensions[_PER_THREAD]
    mine: Runtime | None = getattr(local, "runtime", None)
    if mine is None:
        mine = local.runtime = for_thread(current_app.extensions[_SHARED])
    return mine
