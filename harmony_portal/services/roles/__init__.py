"""Roles at organizations: requests, the Security Officials' decisions, the queues they watch."""
