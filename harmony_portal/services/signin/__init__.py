"""Signing in: password and second factor, sessions, devices, step-up, rate limits, the help desk's resets."""
