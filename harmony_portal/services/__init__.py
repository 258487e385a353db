"""The rules of the portal: plain functions over a SQLModel session. No reflex here.

Import the module you need (``from harmony_portal.services import roles``); nothing is
imported here, so loading one service never loads them all.
"""

__all__ = [
    "accounts",
    "audit",
    "authentication",
    "clock",
    "csv_export",
    "decisions",
    "demo",
    "devices",
    "email_change",
    "email_preferences",
    "errors",
    "guards",
    "identity",
    "maintenance",
    "notifications",
    "notify",
    "organizations",
    "outbox",
    "outbox_admin",
    "password_reset",
    "passwords",
    "rate_limits",
    "role_queries",
    "roles",
    "security",
    "sessions",
    "step_up",
    "two_factor",
    "validation",
]
