"""Passkeys (WebAuthn): adding one, signing in with one, the step-up with one, and the policy requiring them."""
