"""Maintenance windows, the banner, announcements, and what the Help page says of them."""
