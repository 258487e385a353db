"""Helpers for the passkey service tests: a signed-in session, a passkey added through the real ceremony."""

from datetime import timedelta

import pytest

from harmony_portal.services.passkeys import registration
from harmony_portal.services.signin import sessions
from tests.passkey_device import SoftPasskey


class Passkeys:
    def __init__(self, session, clock, make):
        self.session, self.clock, self.make = session, clock, make

    def signed_in(self, user, *, minutes_ago: int = 0):
        """An ActiveSession of ``user`` that passed its second factor ``minutes_ago``."""
        opened = self.clock.now() - timedelta(minutes=minutes_ago)
        token = sessions.start_session(self.session, user, second_factor=True, now=opened)
        return sessions.resolve_session(self.session, token, now=opened)

    def add(self, user, device: SoftPasskey | None = None, *, name: str = "", active=None):
        """Register ``device`` (a new one by default) for ``user`` through begin and finish; returns (device, row)."""
        device = device or SoftPasskey()
        active = active or self.signed_in(user)
        challenge_id, options = registration.begin(self.session, active, name, now=self.clock.now())
        row = registration.finish(self.session, active, challenge_id, device.register(options), now=self.clock.now())
        return device, row


@pytest.fixture
def passkeys(session, clock, make):
    return Passkeys(session, clock, make)
