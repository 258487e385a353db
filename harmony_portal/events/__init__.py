"""How an event's work runs: blocking work on a thread pool, reads done once per event."""
