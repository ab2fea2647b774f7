"""What operators and staff run and read: the CLI, status, alerts, metrics, logs."""
