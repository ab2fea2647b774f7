"""The product's stored state, one concern per class, each owning its keys.

Every store takes ``(client, keys)``: a Redis client (or a pipeline) and the runtime's
:class:`worker.stores.keys.Keys`, plus the other stores it needs. ``worker.stores.store.Store``
composes
them for callers that have not moved to the small stores yet.

- ``tokens``: encrypted OAuth tokens, connection generations, the refresh lock
- ``connections``: each connection's health
- ``routes``: which calendar a room's bookings go to
- ``mappings``: reservation → event mappings and the reservation lock
- ``ledger``: done markers (the receiver's dedupe) and the last webhook
- ``history``: the bounded sync history and per-day counters
- ``failures``: dead letters, parked messages and ids Lockme does not know
- ``outages``: services a job gave up on for now
"""
