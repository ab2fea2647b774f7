"""The use cases: handle a message, reconcile, sync a blocks calendar."""
