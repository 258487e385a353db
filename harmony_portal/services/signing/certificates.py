"""The portal's signing identity: the certificate each form signature is made under, and the roots
a signature is checked against.

Production reads them from HARMONY_SIGNING_CERT, HARMONY_SIGNING_KEY and HARMONY_SIGNING_ROOTS
(``settings.production_problems`` refuses to start without them). Elsewhere a root and a signing
certificate are generated into ``<data>/signing/`` the first time they are needed, owner-only.

The signing certificate carries digitalSignature and nonRepudiation key usage. Validation trusts
exactly the roots file, never the system's store.
"""

from __future__ import annotations

import hashlib
import secrets
import shutil
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.sign.signers import SimpleSigner
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from harmony_portal.settings import Settings, get_settings, write_private_file

_lock = threading.Lock()


@dataclass(frozen=True)
class SigningIdentity:
    signer: SimpleSigner
    roots: tuple[asn1_x509.Certificate, ...]  # the portal's, and the timestamp authority's
    certificate_sha256: str  # of the signing certificate's DER: which certificate signed
    timestamper: HTTPTimeStamper | None = None  # PAdES B-T when set, else B-B


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Harmony Portal"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _usage(*, sign_certificates: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=not sign_certificates, content_commitment=not sign_certificates,
                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                         key_cert_sign=sign_certificates, crl_sign=sign_certificates, encipher_only=False,
                         decipher_only=False)


def _certificate(subject: str, key, issuer: x509.Name, issuer_key, *, years: int, ca: bool) -> x509.Certificate:
    now = datetime.now(UTC)
    return (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(issuer).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=365 * years))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
            .add_extension(_usage(sign_certificates=ca), critical=True)
            .sign(issuer_key, hashes.SHA256()))


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def generate_into(folder: Path) -> tuple[Path, Path, Path]:
    """A new root and a signing certificate it issued, written owner-only into ``folder``.

    Returns the paths of the certificate (with its chain), its key and the roots bundle.
    """
    root_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root = _certificate("Harmony Portal Signing Root", root_key, _name("Harmony Portal Signing Root"), root_key,
                        years=20, ca=True)
    signing = _certificate("Harmony Portal Access Request Signing", key, root.subject, root_key, years=5, ca=False)
    paths = folder / "signing.pem", folder / "signing-key.pem", folder / "roots.pem"
    folder.mkdir(parents=True, exist_ok=True)
    write_private_file(paths[0], _pem(signing) + _pem(root))
    write_private_file(paths[1], key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()).decode())
    write_private_file(paths[2], _pem(root))
    return paths


def _paths(settings: Settings) -> tuple[Path, Path, Path]:
    configured = (settings.harmony_signing_cert, settings.harmony_signing_key, settings.harmony_signing_roots)
    if all(configured):
        return configured
    folder = settings.data_dir / "signing"
    with _lock:
        if not folder.is_dir():
            # Written aside and renamed into place: processes starting together keep one identity.
            aside = folder.with_name(f".signing-{secrets.token_hex(8)}")
            generate_into(aside)
            try:
                aside.rename(folder)
            except OSError:  # another process was first
                shutil.rmtree(aside, ignore_errors=True)
    return folder / "signing.pem", folder / "signing-key.pem", folder / "roots.pem"


def _load_pem_certificates(path: Path) -> list[asn1_x509.Certificate]:
    return [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
            for c in x509.load_pem_x509_certificates(path.read_bytes())]


@cache
def identity_from(cert_path: Path, key_path: Path, roots_path: Path, tsa_url: str | None = None,
                  tsa_roots_path: Path | None = None) -> SigningIdentity:
    chain = _load_pem_certificates(cert_path)
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    key_info = asn1_keys.PrivateKeyInfo.load(key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    roots = tuple(_load_pem_certificates(roots_path))
    if tsa_roots_path is not None:
        roots += tuple(_load_pem_certificates(tsa_roots_path))
    signer = SimpleSigner(signing_cert=chain[0], signing_key=key_info,
                          cert_registry=SimpleCertificateStore.from_certs([*chain, *roots]))
    return SigningIdentity(signer, roots, hashlib.sha256(chain[0].dump()).hexdigest(),
                           HTTPTimeStamper(tsa_url, timeout=10) if tsa_url else None)


def signing_identity(settings: Settings | None = None) -> SigningIdentity:
    """The identity forms are signed under now (read once per set of files)."""
    settings = settings or get_settings()
    return identity_from(*_paths(settings), settings.harmony_signing_tsa_url or None,
                         settings.harmony_signing_tsa_roots)
