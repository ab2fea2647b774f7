"""The gateways: Lockme's API, Google Calendar, token refresh, rate limits, answer shapes."""
