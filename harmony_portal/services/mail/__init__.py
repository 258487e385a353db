"""Email: the outbox's sender and the administrators' Outbox."""
