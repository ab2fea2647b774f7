"""The domain: pure rules, no I/O (booking → event, whose is what, which events block)."""
