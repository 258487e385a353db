"""The rules of the portal: plain functions over a SQLModel session. No reflex here."""
