"""What Lockme answers, read liberally and remembered by shape.

Lockme publishes no schema: every answer form the product relies on was inferred from
Lockme's own PHP client (which parses a body "as JSON regardless of content type, else
returns the raw text"). This module holds two things that follow from that:

- **Liberal reading**: helpers that accept each plausible form of an answer (a list or an
  object keyed by id, ``"OK"`` as JSON or as text, an empty body) and turn it into the one
  form the rest of the engine uses.
- **Learning from the field**: the *shape* of every answer (status, content type, keys and
  value types, bounded in depth and width; never a value, so no customer data) is kept
  once per endpoint and form in Redis, so that the first real deployment shows, in
  ``lockme-sync status --json`` and on the status page, what Lockme really sends.

Recording is off the hot path: a shape is written only when this process has not seen
its fingerprint before (an in-memory set), so the steady state costs no Redis round trip;
describing and fingerprinting an answer took about 30 µs for a message read and 10 µs for
an ack on the 2-core development machine, some 50 µs of a booking's three calls.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import redis

from worker.domain.errors import MalformedAnswer
from worker.stores.keys import Keys

# At most this many distinct shapes in Redis, and this many fingerprints in memory: what
# Lockme sends is a handful of forms; a flood of new ones must not grow either without end.
MAX_STORED = 200
MAX_SEEN = 2000
# A shape is described this deep, with this many keys per object and items per list.
MAX_DEPTH = 4
MAX_KEYS = 40
MAX_ITEMS = 20
MAX_SHAPE_CHARS = 4000
# Keys that look like names are shown; any other key (an id, an e-mail) is data, not shape.
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,40}$")
_NUMBER = re.compile(r"^\d{1,20}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ID_KEY = "{id}"
OTHER_KEY = "{key}"


# --- liberal reading ------------------------------------------------------------------------
@dataclass(frozen=True)
class Answer:
    """An answer's body as Lockme's PHP client (league/oauth2-client) reads it: form-encoded
    when the content type says so, else JSON when it parses (whatever the content type
    says), else the text; ``form`` says which ("form", "json", "text" or "empty")."""

    status: int
    content_type: str
    form: str
    body: Any

    @classmethod
    def read(cls, status: int, content_type: str, data: bytes) -> Answer:
        media = content_type.split(";")[0].strip().lower()
        text = data.decode("utf-8", errors="replace")
        if not text.strip():
            return cls(status, media, "empty", None)
        if "urlencoded" in media:
            return cls(status, media, "form", dict(parse_qsl(text.strip())))
        try:
            return cls(status, media, "json", json.loads(text))
        except ValueError:
            return cls(status, media, "text", text.strip())
        except RecursionError:
            # Retrying reads the same bytes: malformed, not a transient failure.
            raise MalformedAnswer(
                f"HTTP {status}: the JSON is nested too deep to read", status=status
            ) from None

    @property
    def carries_error(self) -> bool:
        """An object with an ``error`` key, which Lockme's PHP provider raises as an error
        whatever the status (``checkResponse``: ``isset($data['error'])``, so not a null)."""
        return isinstance(self.body, dict) and self.body.get("error") is not None


def as_list(body: Any, id_key: str) -> list[dict[str, Any]] | None:
    """A collection as a list of objects, whether Lockme sent a JSON list or an object keyed
    by id (PHP's associative arrays encode that way); None when it is neither.

    In the keyed form an item without its own ``id_key`` takes it from its key. An empty
    body, ``[]`` and ``{}`` are all an empty collection.
    """
    if body is None:
        return []
    if isinstance(body, list):
        return [item for item in body if isinstance(item, dict)]
    if isinstance(body, dict) and all(_NUMBER.match(str(k)) for k in body):
        items = []
        for key, item in body.items():
            if isinstance(item, dict):
                items.append(item if id_key in item else {id_key: int(key), **item})
        return items
    return None


def single(body: Any) -> dict[str, Any] | None:
    """One reservation's fields: the object itself, or the only item of an object keyed by
    its id; None when the answer has no recognisable object (the caller falls back)."""
    if not isinstance(body, dict):
        return None
    if "date" in body or "hour" in body:
        return body
    items = as_list(body, "reservationid")
    if items is not None and len(items) == 1:
        return items[0]
    return None


def created_id(body: Any) -> int | None:
    """The id a create answered, in any form seen or guessed: an int, its digits as JSON or
    text, ``{"reservationid"|"id": n}``, or either under ``data``; None when it is none."""
    if isinstance(body, dict):
        for key in ("reservationid", "id"):
            if key in body:
                return created_id(body[key])
        return created_id(body["data"]) if isinstance(body.get("data"), dict) else None
    if isinstance(body, bool):
        return None
    digits = body.strip() if isinstance(body, str) else ""
    if digits.isascii() and digits.isdigit() and len(digits) <= 18:
        body = int(digits)
    return body if isinstance(body, int) and body > 0 else None


def says_ok(body: Any) -> bool:
    """Whether ``/test`` said the connection works: ``"OK"`` as JSON or text (any case),
    ``true``, an object (its errors were raised before), or an empty 2xx body."""
    if isinstance(body, str):
        return body.strip().upper() == "OK"
    if isinstance(body, bool):
        return body
    return body is None or isinstance(body, dict | list)


# --- shapes -----------------------------------------------------------------------------------
def endpoint(method: str, path: str) -> str:
    """``GET /room/{id}/reservation/{id}``: the path with its ids and dates taken out."""
    parts: list[str] = []
    for part in path.split("?")[0].strip("/").split("/"):
        if parts and parts[-1] == "ext":
            parts.append("{x}")  # one endpoint, whatever the extid (name-like or not)
        elif _NUMBER.match(part):
            parts.append("{id}")
        elif _DATE.match(part):
            parts.append("{date}")
        else:
            parts.append(part if _NAME.match(part) else "{x}")
    return f"{method.upper()} /{'/'.join(parts)}"


def shape(value: Any, depth: int = 0) -> Any:
    """The type structure of a JSON value: ``"str"``, ``"int"``…, objects as their keys'
    shapes, lists as the merged shape of their items. Never a value; keys that are ids or
    otherwise not names are folded into ``{id}`` / ``{key}``; bounded in depth and width."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if depth >= MAX_DEPTH:
        return "object" if isinstance(value, dict) else "list"
    if isinstance(value, list):
        return [_merge_all(shape(item, depth + 1) for item in value[:MAX_ITEMS])] if value else []
    if isinstance(value, dict):
        if value and all(_NUMBER.match(str(k)) for k in value):
            items = list(value.values())[:MAX_ITEMS]
            return {ID_KEY: _merge_all(shape(item, depth + 1) for item in items)}
        out: dict[str, Any] = {}
        for key in sorted(value, key=str)[:MAX_KEYS]:
            name = str(key) if _NAME.match(str(key)) else OTHER_KEY
            sub = shape(value[key], depth + 1)
            out[name] = merge(out[name], sub) if name in out else sub
        return out
    return type(value).__name__


def _merge_all(shapes: Any) -> Any:
    merged: Any = None
    for item in shapes:
        merged = item if merged is None else merge(merged, item)
    return merged if merged is not None else "null"


def merge(a: Any, b: Any) -> Any:
    """One shape covering both: objects take the union of keys, lists merge their items,
    different kinds become alternatives (``"null|str"``)."""
    if a == b:
        return a
    if isinstance(a, dict) and isinstance(b, dict):
        union = sorted({*a, *b})
        return {k: merge(a[k], b[k]) if k in a and k in b else a.get(k, b.get(k)) for k in union}
    if isinstance(a, list) and isinstance(b, list):
        return [merge(a[0], b[0])] if a and b else (a or b)
    kinds = {*_kinds(a), *_kinds(b)}
    return "|".join(sorted(kinds))


def _kinds(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.split("|")
    return ["object" if isinstance(value, dict) else "list"]


class ShapeLog:
    """The answer shapes this installation has seen, one entry per endpoint and form."""

    def __init__(self, client: redis.Redis, key: str) -> None:
        self.redis = client
        self.key = key  # the runtime's ``Keys.lockme_shapes``
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def note(self, method: str, path: str, answer: Answer) -> None:
        """Remember an answer's shape; a Redis write only for a fingerprint new to this
        process. A failure to record is swallowed: learning must never fail a booking."""
        entry = {
            "endpoint": endpoint(method, path),
            "status": answer.status,
            "content_type": answer.content_type,
            "form": answer.form,
            "body": shape(answer.body) if answer.form in ("json", "form") else answer.form,
        }
        encoded = json.dumps(entry, sort_keys=True)
        fingerprint = hashlib.sha1(encoded.encode(), usedforsecurity=False).hexdigest()[:16]
        with self._lock:
            if fingerprint in self._seen or len(self._seen) >= MAX_SEEN:
                return
            self._seen.add(fingerprint)
        if len(encoded) > MAX_SHAPE_CHARS:
            entry["body"] = "too large to show"
        entry["first_seen"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        try:
            with self.redis.pipeline(transaction=False) as pipe:
                pipe.hsetnx(self.key, fingerprint, json.dumps(entry, sort_keys=True))
                pipe.hlen(self.key)
                added, count = pipe.execute()
            if added and count > MAX_STORED:
                self.redis.hdel(self.key, fingerprint)
        except redis.RedisError:
            with self._lock:
                self._seen.discard(fingerprint)


def recorded(client: redis.Redis, keys: Keys) -> list[dict[str, Any]]:
    """Every stored shape, by endpoint, status and form (for status and the status page)."""
    entries = [json.loads(raw) for raw in client.hvals(keys.lockme_shapes)]
    return sorted(entries, key=lambda e: (e["endpoint"], e["status"], e["form"], e["first_seen"]))
