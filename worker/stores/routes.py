"""Routes: which calendar a room's bookings go to, and how they are written there."""

from __future__ import annotations

import json
from dataclasses import asdict

import redis

from worker.domain.booking import Route
from worker.stores.keys import Keys


def parse_route(room_id: int, raw: bytes | str | None) -> Route:
    """A stored route, or the default one (``primary``) when none is set."""
    return Route(**json.loads(raw)) if raw else Route(room_id=room_id)


class Routes:
    """The rooms' routes, one hash field per room."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.redis = client
        self.keys = keys

    def routes(self) -> dict[int, Route]:
        raw = self.redis.hgetall(self.keys.routes)
        routes = {int(k): Route(**json.loads(v)) for k, v in raw.items()}
        return dict(sorted(routes.items()))

    def route(self, room_id: int) -> Route:
        """The room's route, or the default one (``primary``) when none is set."""
        return parse_route(room_id, self.redis.hget(self.keys.routes, str(room_id)))

    def set_route(self, route: Route) -> None:
        self.redis.hset(self.keys.routes, str(route.room_id), json.dumps(asdict(route)))

    def calendars(self) -> list[str]:
        """Every calendar a booking may sit in: ``primary`` plus each routed one."""
        return list(dict.fromkeys(["primary", *(r.calendar_id for r in self.routes().values())]))
