"""The challenge of one passkey ceremony: random, used once, within two minutes, by whom it was made for.

The page never names a challenge: its state keeps the row's id on the server, and the
answer is checked against the challenge stored here, so an answer made for another
session's challenge (or replayed from an earlier one) fails. Using a challenge deletes it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, delete
from webauthn.helpers import generate_challenge

from harmony_portal.models import PasskeyChallenge, utc_now
from harmony_portal.services.errors import Invalid
from harmony_portal.services.passkeys.relying_party import FIELD, to_bytes, to_text

LIFETIME = timedelta(minutes=2)
STALE = "That passkey request has expired or was already used. Press the button again to start a new one."


def issue(session: Session, purpose: str, *, user_id: int | None = None, session_id: int | None = None,
          passkey_name: str = "", now: datetime | None = None) -> tuple[int, bytes]:
    """A new challenge row: its id (for the page's state) and the challenge bytes (for the options).

    Challenges abandoned earlier (expired, never answered) are swept out first.
    """
    now = now or utc_now()
    session.exec(delete(PasskeyChallenge).where(PasskeyChallenge.expires_at <= now))
    challenge = generate_challenge()
    row = PasskeyChallenge(purpose=purpose, challenge=to_text(challenge), user_id=user_id, session_id=session_id,
                           passkey_name=passkey_name, created_at=now, expires_at=now + LIFETIME)
    session.add(row)
    session.flush()
    return row.id, challenge


def claim(session: Session, challenge_id: object, purpose: str, *, user_id: int | None = None,
          session_id: int | None = None, now: datetime | None = None) -> tuple[str, bytes]:
    """Use up the challenge ``challenge_id`` for ``purpose``: Invalid unless it is unexpired and made for this
    user and session. Deleting it is the claim: two answers racing for one challenge, one wins.

    Returns the passkey name it was made with (adding one) and the challenge bytes.
    """
    now = now or utc_now()
    row = session.get(PasskeyChallenge, challenge_id) if isinstance(challenge_id, int) and challenge_id > 0 else None
    if row is None or row.purpose != purpose or row.user_id != user_id or row.session_id != session_id:
        raise Invalid(FIELD, STALE).keeping_changes()
    name, challenge = row.passkey_name, to_bytes(row.challenge)
    won = session.exec(delete(PasskeyChallenge).where(
        PasskeyChallenge.id == row.id, PasskeyChallenge.expires_at > now)).rowcount
    if won != 1:
        raise Invalid(FIELD, STALE).keeping_changes()
    return name, challenge
