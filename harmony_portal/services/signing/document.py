"""The signed PDF itself: three signature fields, PAdES signatures added one by one, and validation.

Each signature is an incremental update (pyHanko), so earlier ones stay intact. The first, the
requester's, certifies the document allowing form filling and signing only (DocMDP), so any
validator, not only ours, agrees that what came after is signatures. PAdES B-B: the signing
time is the one the portal states, backed by the audit chain. Validation trusts exactly the
portal's roots and checks each signature at the time it was made, so a form signed before the
signing certificate was replaced or expired still validates. With HARMONY_SIGNING_TSA_URL each
signature also carries an RFC 3161 timestamp (PAdES B-T), checked against the authority's roots.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from harmony_portal.services.signing.certificates import SigningIdentity

# Signing order; no name is a prefix of another (a validator matching by prefix can't mix them up).
FIELDS = ("requester", "supervisor", "agency_signer")


@dataclass(frozen=True)
class Validation:
    valid: int  # intact, trusted signatures that cover what they should
    problems: tuple[str, ...]  # one line per signature that failed, naming it

    def summary(self, expected: int) -> str:
        if not self.problems and self.valid == expected:
            return f"{self.valid} valid signature{'s' if self.valid != 1 else ''}"
        if not self.problems:
            return f"{self.valid} valid signature{'s' if self.valid != 1 else ''}, {expected} expected"
        return "; ".join(self.problems)


def _finish(coroutine):
    """Run one of pyHanko's coroutines to the end from plain code, on the event loop's thread too
    (pyHanko's own sync wrappers call asyncio.run, which a running loop refuses)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def with_signature_fields(pdf: bytes) -> bytes:
    """``pdf`` with the three empty signature fields the signers fill."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    for name in FIELDS:
        fields.append_signature_field(writer, fields.SigFieldSpec(sig_field_name=name, on_page=-1))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def add_signature(pdf: bytes, field: str, identity: SigningIdentity, *, name: str, reason: str) -> bytes:
    """``pdf`` with one more signature, in ``field``; the first field certifies the document."""
    if field not in FIELDS:
        raise ValueError(f"no signature field {field!r}")
    meta = signers.PdfSignatureMetadata(
        field_name=field, name=name, reason=reason, location="Harmony Portal", md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES, certify=field == FIELDS[0],
        docmdp_permissions=fields.MDPPerm.FILL_FORMS)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    return _finish(signers.async_sign_pdf(writer, meta, signer=identity.signer,
                                          timestamper=identity.timestamper)).getvalue()


def validate(pdf: bytes, identity: SigningIdentity) -> Validation:
    """Check every signature in ``pdf`` against the portal's roots, each at its own signing time."""
    try:
        embedded = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
    except Exception:  # not a PDF any more
        return Validation(0, ("The file is damaged: it can't be read as a PDF.",))
    valid, problems = 0, []
    for signature in embedded:
        label = signature.field_name or "a signature"
        try:
            moment = signature.self_reported_timestamp
            context = ValidationContext(trust_roots=list(identity.roots), allow_fetching=False, moment=moment,
                                        best_signature_time=moment)
            status = _finish(async_validate_pdf_signature(signature, context))
        except Exception as exc:  # a signature so damaged it can't even be checked
            problems.append(f"{label}: can't be checked ({type(exc).__name__})")
            continue
        if not status.intact:
            problems.append(f"{label}: the document changed after it was signed")
        elif not status.trusted or not status.valid:
            problems.append(f"{label}: not made under the portal's signing certificate")
        elif status.docmdp_ok is False:
            problems.append(f"{label}: followed by changes its certification does not allow")
        elif (stamp := status.timestamp_validity) is not None and not (stamp.intact and stamp.valid
                                                                          and stamp.trusted):
            problems.append(f"{label}: its timestamp is not from a trusted timestamp authority")
        else:
            valid += 1
    return Validation(valid, tuple(problems))
