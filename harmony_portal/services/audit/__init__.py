"""The audit trail (hash-chained, written with each change) and the administrators' view of it."""
