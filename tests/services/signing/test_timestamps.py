"""With HARMONY_SIGNING_TSA_URL each signature carries an RFC 3161 timestamp (PAdES B-T), from a
real HTTP timestamp authority (pyHanko's reference TSA behind a local HTTP server)."""

import asyncio
import io
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from harmony_portal.services.pq.access_form_pdf import FormValues, render
from harmony_portal.services.signing import document
from harmony_portal.services.signing.certificates import generate_into, identity_from


def _tsa(folder):
    """A timestamp authority's root and its RSA certificate (extended key usage timeStamping)."""
    now = datetime.now(UTC)
    root_key, key = rsa.generate_private_key(65537, 2048), rsa.generate_private_key(65537, 2048)
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test TSA Root")])
    root = (x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name).public_key(root_key.public_key())
            .serial_number(1).not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(root_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test TSA")]))
            .issuer_name(root_name).public_key(key.public_key()).serial_number(2)
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .sign(root_key, hashes.SHA256()))
    roots = folder / "tsa-roots.pem"
    roots.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    der = lambda c: asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))  # noqa: E731
    key_info = asn1_keys.PrivateKeyInfo.load(key.private_bytes(serialization.Encoding.DER,
                                                                serialization.PrivateFormat.PKCS8,
                                                                serialization.NoEncryption()))
    return DummyTimeStamper(tsa_cert=der(cert), tsa_key=key_info), roots


@pytest.fixture
def authority(tmp_path):
    stamper, roots = _tsa(tmp_path)
    asked = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server API
            request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            asked.append(request)
            body = asyncio.run(stamper.async_request_tsa_response(request)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/", roots, asked
    server.shutdown()


def test_signatures_carry_the_authoritys_timestamp_and_still_validate(tmp_path, authority):
    url, tsa_roots, asked = authority
    cert, key, roots = generate_into(tmp_path / "signing")
    identity = identity_from(cert, key, roots, url, tsa_roots)
    pdf = document.with_signature_fields(render(FormValues(pq_number="5", name="Ann", signers=[
        ("Requester", "Ann"), ("Direct supervisor", "Sue"), ("Agency authorized signer", "Al")])))
    signed = document.add_signature(pdf, "requester", identity, name="Ann (ann)", reason="test")
    assert asked  # the authority was asked (pyHanko asks once more to size the signature)
    embedded = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
    unsigned = embedded.signer_info["unsigned_attrs"].native or []
    assert any(a["type"] == "signature_time_stamp_token" for a in unsigned)  # PAdES B-T: the token is in it
    assert document.validate(signed, identity).summary(1) == "1 valid signature"
    # Without the authority's root, the timestamp is not trusted and the check says so.
    untrusted = identity_from(cert, key, roots, url, None)
    assert document.validate(signed, untrusted).summary(1) != "1 valid signature"
