"""Who the portal is to a passkey: the relying party's id and origin, both from HARMONY_BASE_URL.

A passkey is bound to the RP ID (the portal's host name) and each answer names the origin
it was made on, so a look-alike site can neither use nor replay one.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from harmony_portal.services.errors import Invalid
from harmony_portal.settings import get_settings

RP_NAME = "Harmony Portal"
TIMEOUT_MS = 120_000  # as long as the challenge lives (challenges.LIFETIME)
FIELD = "passkey"


def rp_id() -> str:
    """The portal's host name (no port): what every passkey here is bound to."""
    return urlsplit(get_settings().harmony_base_url).hostname or "localhost"


def origin() -> str:
    """The one origin an answer may come from: scheme, host and port of HARMONY_BASE_URL."""
    parts = urlsplit(get_settings().harmony_base_url)
    return f"{parts.scheme}://{parts.netloc}"


def to_text(raw: bytes) -> str:
    return bytes_to_base64url(raw)


def to_bytes(text: str) -> bytes:
    return base64url_to_bytes(text)


# What the browser's answer may be, as the page sent it: a JSON text of at most this many characters.
_MAX_ANSWER = 64_000
CANCELLED = ("The passkey was not used: the browser's dialog was closed or timed out, or this device has no "
             "passkey for Harmony Portal. Try again, or use another way to confirm it is you.")


def parse_answer(answer: object) -> dict:
    """The credential a page sent back (navigator.credentials' answer as JSON), or Invalid.

    The page sends ``{"error": name}`` when the browser's dialog was cancelled or failed.
    """
    if isinstance(answer, str) and len(answer) <= _MAX_ANSWER:
        try:
            answer = json.loads(answer)
        except ValueError:
            answer = None
    if not isinstance(answer, dict) or "error" in answer:
        raise Invalid(FIELD, CANCELLED).keeping_changes()
    if not isinstance(answer.get("id"), str) or not isinstance(answer.get("response"), dict):
        raise Invalid(FIELD, CANCELLED).keeping_changes()
    return answer


# A waiting autofill request that ends without a passkey picked is not a use: the page stopped it (a dialog
# opened, the form went away), it renewed itself before its challenge expired ("TimeoutError"), the browser
# has no passkey autofill, or it had no passkey to offer. Nothing is said, audited or counted for it.
def unanswered(answer: object) -> str:
    """The browser's reason when an autofill request ended with no passkey picked, else "" (an answer to check)."""
    try:
        reason = json.loads(answer).get("error") if isinstance(answer, str) and len(answer) < 200 else None
    except (ValueError, AttributeError):
        reason = None
    return reason[:40] if isinstance(reason, str) and reason else ""
