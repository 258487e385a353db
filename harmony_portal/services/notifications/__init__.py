"""Telling people: in-app notifications, emails by preference, both written with the change."""
