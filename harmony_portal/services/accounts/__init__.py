"""Accounts: signing up, the profile and password, email changes, resets, and finding people."""
