"""Calendar → Lockme blocks: events in a room's blocks calendar hold its Lockme slots."""
