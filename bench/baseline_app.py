"""The receiver's baseline: a Flask endpoint that does one LPUSH and nothing else.

Served by gunicorn with the product's ``gunicorn.conf.py``, it is the fastest a webhook on
this stack can be, so the real receiver is reported as a fraction of it.
"""

from __future__ import annotations

import os

import redis
from flask import Flask, Response, jsonify, request


def create_app() -> Flask:
    app = Flask(__name__)
    client = redis.Redis.from_url(os.environ["REDIS_URL"])

    @app.post("/webhooks/lockme")
    def webhook() -> Response:
        message_id = request.headers.get("X-MessageId", "")
        client.lpush("bench:baseline", message_id)
        return jsonify(message_id=message_id, status="queued")

    return app
