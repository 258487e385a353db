"""A passkey device in software, for tests that check the server's side of WebAuthn.

It answers registration options and sign-in options as a browser with a platform
authenticator would (attestation "none", ES256), and lets a test do what an attacker would:
sign for another origin, leave out user verification, clone itself with an older counter.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import struct
import uuid
from dataclasses import dataclass, field

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from harmony_portal.services.passkeys.relying_party import origin, rp_id

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40
CHROMIUM_AAGUID = "b5397666-4885-aa6b-cebf-e52262a439a2"


def _b64(raw: bytes) -> str:
    return bytes_to_base64url(raw)


@dataclass
class SoftPasskey:
    """One credential on a software device."""

    counter: int = 0
    counts: bool = True  # False: a synced passkey, whose counter stays 0 for ever
    backup_eligible: bool = False
    backed_up: bool = False
    aaguid: str = CHROMIUM_AAGUID
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    user_handle: bytes = b""

    @property
    def id(self) -> str:
        return _b64(self.credential_id)

    def _flags(self, uv: bool, attested: bool = False) -> int:
        return (UP | (UV if uv else 0) | (BE if self.backup_eligible else 0) | (BS if self.backed_up else 0)
                | (AT if attested else 0))

    def _client_data(self, kind: str, challenge: str, at_origin: str | None) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": at_origin or origin(),
                           "crossOrigin": False}).encode()

    def register(self, options_json: str, *, at_origin: str | None = None, uv: bool = True,
                 for_rp: str | None = None) -> str:
        """The browser's answer to ``navigator.credentials.create`` with these options, as JSON."""
        options = json.loads(options_json)
        self.user_handle = base64url_to_bytes(options["user"]["id"])
        numbers = self.key.public_key().public_numbers()
        cose = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})
        attested = (uuid.UUID(self.aaguid).bytes + struct.pack(">H", len(self.credential_id)) + self.credential_id
                    + cose)
        auth_data = (hashlib.sha256((for_rp or rp_id()).encode()).digest()
                     + bytes([self._flags(uv, attested=True)]) + struct.pack(">I", self.counter) + attested)
        client_data = self._client_data("webauthn.create", options["challenge"], at_origin)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return json.dumps({"id": self.id, "rawId": self.id, "type": "public-key", "authenticatorAttachment": "platform",
                           "clientExtensionResults": {},
                           "response": {"clientDataJSON": _b64(client_data), "attestationObject": _b64(attestation),
                                        "transports": ["internal"]}})

    def sign_in(self, options_json: str, *, at_origin: str | None = None, uv: bool = True,
                counter: int | None = None) -> str:
        """The browser's answer to ``navigator.credentials.get`` with these options, as JSON."""
        options = json.loads(options_json)
        if counter is not None:
            self.counter = counter
        elif self.counts:
            self.counter += 1
        auth_data = (hashlib.sha256(rp_id().encode()).digest() + bytes([self._flags(uv)])
                     + struct.pack(">I", self.counter))
        client_data = self._client_data("webauthn.get", options["challenge"], at_origin)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return json.dumps({"id": self.id, "rawId": self.id, "type": "public-key", "clientExtensionResults": {},
                           "response": {"clientDataJSON": _b64(client_data), "authenticatorData": _b64(auth_data),
                                        "signature": _b64(signature), "userHandle": _b64(self.user_handle)}})
