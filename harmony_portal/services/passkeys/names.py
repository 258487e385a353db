"""What a new passkey is called until its owner names it: the provider its AAGUID says, else "Passkey".

A small table shipped with the portal (from the public list of passkey providers' AAGUIDs): no
look-up over the network. With attestation "none" the AAGUID is the authenticator's own word,
so it only ever chooses a name, never trust.
"""

from __future__ import annotations

from collections.abc import Iterable

from harmony_portal.services import validation
from harmony_portal.services.errors import Invalid

DEFAULT = "Passkey"
FIELD = "passkey_name"
MAX_LENGTH = 60

PROVIDERS: dict[str, str] = {
    "fbfc3007-154e-4ecc-8c0b-6e020557d7bd": "iCloud Keychain",
    "dd4ec289-e01d-41c9-bb89-70fa845d4bf2": "iCloud Keychain (Managed)",
    "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4": "Google Password Manager",
    "adce0002-35bc-c60a-648b-0b25f1f05503": "Chrome on Mac",
    "b5397666-4885-aa6b-cebf-e52262a439a2": "Chromium Browser",
    "771b48fd-d3d4-4f74-9232-fc157ab0507a": "Edge on Mac",
    "08987058-cadc-4b81-b6e1-30de50dcbe96": "Windows Hello",
    "9ddd1817-af5a-4672-a2b9-3e3dd95000a9": "Windows Hello",
    "6028b017-b1d4-4c02-b4b3-afcdafc96bb2": "Windows Hello",
    "bada5566-a7aa-401f-bd96-45619a55120d": "1Password",
    "d548826e-79b4-db40-a3d8-11116f7e8349": "Bitwarden",
    "531126d6-e717-415c-9320-3d9aa6981239": "Dashlane",
    "0ea242b4-43c4-4a1b-8b17-dd6d0b6baec6": "Keeper",
    "53414d53-554e-4700-0000-000000000000": "Samsung Pass",
    "ee882879-721c-4913-9775-3dfcce97072a": "YubiKey 5 Series",
}


def provider_name(aaguid: str) -> str:
    """The provider's name for ``aaguid``, or "Passkey"."""
    return PROVIDERS.get(aaguid.strip().lower(), DEFAULT)


def unused_name(wanted: str, taken: Iterable[str]) -> str:
    """``wanted``, or "wanted 2", "wanted 3", ... when the owner already has a passkey by that name."""
    taken_keys = {t.casefold() for t in taken}
    name, n = wanted, 1
    while name.casefold() in taken_keys:
        n += 1
        suffix = f" {n}"
        name = wanted[:MAX_LENGTH - len(suffix)] + suffix
    return name


def clean(name: str) -> str:
    """A name as typed, spaces tidied; empty is allowed (the default is chosen later). Invalid when too long or
    not a single line of text."""
    name = " ".join(name.split()) if isinstance(name, str) else ""
    if problem := validation.text_problem(FIELD, name):
        raise Invalid(FIELD, problem)
    return name
