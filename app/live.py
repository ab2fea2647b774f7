"""The digest a live page part polls (``static/live.js``): it changes whenever what the
part shows changes, so the browser fetches the page again only then."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import jsonify
from werkzeug.wrappers import Response


def digest(shown: Any) -> str:
    """A short hash of ``shown`` (anything JSON can write; sets and tuples as lists)."""
    text = json.dumps(shown, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def digest_response(shown: Any) -> Response:
    return jsonify({"digest": digest(shown)})
