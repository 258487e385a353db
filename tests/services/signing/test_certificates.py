"""The portal's signing identity: what the certificate may do, what validation trusts, and a form
signed before a rotation that still validates after it."""

from cryptography import x509

from harmony_portal.services.pq.access_form_pdf import FormValues, render
from harmony_portal.services.signing import document
from harmony_portal.services.signing.certificates import generate_into, identity_from


def _identity_in(folder):
    cert, key, roots = generate_into(folder)
    return identity_from(cert, key, roots), (cert, key, roots)


def _signed_by(identity) -> bytes:
    pdf = document.with_signature_fields(render(FormValues(pq_number="1", name="Ann", signers=[
        ("Requester", "Ann"), ("Direct supervisor", "Sue"), ("Agency authorized signer", "Al")])))
    return document.add_signature(pdf, "requester", identity, name="Ann (ann)", reason="test")


def test_the_signing_certificate_signs_documents_and_nothing_else(tmp_path):
    _unused, (cert, key, _roots) = _identity_in(tmp_path / "a")
    signing = x509.load_pem_x509_certificates(cert.read_bytes())[0]
    usage = signing.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment  # nonRepudiation
    assert not usage.key_cert_sign and not signing.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert oct(cert.stat().st_mode & 0o777) == "0o600" and oct(key.stat().st_mode & 0o777) == "0o600"


def test_a_signature_under_another_root_is_not_the_portals(tmp_path):
    ours, _ = _identity_in(tmp_path / "ours")
    theirs, _ = _identity_in(tmp_path / "theirs")
    assert document.validate(_signed_by(theirs), ours).summary(1) == (
        "requester: not made under the portal's signing certificate")


def test_a_form_signed_before_a_rotation_still_validates_with_the_old_root_kept(tmp_path):
    old, (_c, _k, old_roots) = _identity_in(tmp_path / "old")
    signed_before = _signed_by(old)
    _new, (new_cert, new_key, new_roots) = _identity_in(tmp_path / "new")
    bundle = tmp_path / "roots.pem"
    bundle.write_bytes(new_roots.read_bytes() + old_roots.read_bytes())  # the retired root stays trusted
    rotated = identity_from(new_cert, new_key, bundle)
    assert document.validate(signed_before, rotated).summary(1) == "1 valid signature"
    assert rotated.certificate_sha256 != old.certificate_sha256  # each form records which one signed
    without_old = identity_from(new_cert, new_key, new_roots)
    assert "not made under the portal's signing certificate" in document.validate(signed_before,
                                                                                  without_old).summary(1)
