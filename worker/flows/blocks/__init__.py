"""Calendar → Lockme blocks: staff events in a Google calendar close Lockme slots."""
