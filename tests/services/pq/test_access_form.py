"""The Harmony Access Request PDF: filled in from the PQ and its requester, for those who may see the PQ."""

import io
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader
from sqlmodel import select

from harmony_portal.models import AuditEvent
from harmony_portal.services.errors import Invalid, NotAllowed
from harmony_portal.services.pq.access_form import access_request_pdf, blank_access_request_pdf
from harmony_portal.services.pq.access_form_pdf import ACKNOWLEDGEMENTS, latin1


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), " ".join(page.extract_text() for page in reader.pages)


def squeezed(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def world(session, make):
    home, other = make.org(session, "ORGA", "Alpine Care"), make.org(session, "ORGB", "Bering Homes")
    owner = make.user(session, "kaya", first_name="Kaya", last_name="Nukluk", phone="907-555-0142",
                      address_line1="100 Glacier Ave", city="Juneau", state="AK", zip_code="99801")
    colleague, stranger = make.user(session, "colleague"), make.user(session, "stranger")
    make.grant(session, owner, home, "Staff")
    make.grant(session, colleague, home, "Security Official")
    make.grant(session, stranger, other, "Security Official")
    pq = make.pq(session, owner, home, inquiry_type="Access Request", subject="Harmony access for a new nurse",
                 details="Please give Kaya Nukluk the Staff role.", now=datetime(2026, 11, 18, 18, 0, tzinfo=UTC))
    return {"home": home, "owner": owner, "colleague": colleague, "stranger": stranger, "pq": pq}


def test_the_form_is_filled_in_from_the_pq_and_the_requester(session, world):
    pq, owner = world["pq"], world["owner"]
    filename, data = access_request_pdf(session, owner, pq.id)
    assert filename == f"harmony-access-request-pq-{pq.id}.pdf"
    assert data.startswith(b"%PDF-")
    pages, text = pdf_text(data)
    text = squeezed(text)
    assert 1 <= pages <= 2
    for expected in (f"PQ Number {pq.id}", "Harmony access for a new nurse", "Kaya Nukluk", "kaya@example.org",
                     "907-555-0142", "Alpine Care", "ORGA", "Access Request", "Nov 18, 2026 9:00 AM AKST",
                     "Juneau, AK 99801", "Introduction to Harmony", "HIPAA", "Signature of Access Coordinator"):
        assert expected in text


def test_every_generated_form_is_audited(session, world):
    pq = world["pq"]
    access_request_pdf(session, world["colleague"], pq.id, ip="203.0.113.9")
    [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "pq.access_form_generated")).all()
    assert (event.actor_id, event.organization_id, event.ip) == (world["colleague"].id, "ORGA", "203.0.113.9")
    assert str(pq.id) in event.target


def test_a_colleague_gets_the_requesters_form_not_their_own(session, world):
    _, data = access_request_pdf(session, world["colleague"], world["pq"].id)
    text = squeezed(pdf_text(data)[1])
    assert "Kaya Nukluk" in text and world["colleague"].user_id not in text.split()


def test_names_print_as_typed_in_the_unicode_font(session, world, make):
    """A signed legal record can't be corrected later: "Łódź" stays "Łódź" (the core fonts made it
    "Lodz"), typographic quotes stay, and long values still keep to two pages."""
    owner = world["owner"]
    owner.first_name, owner.last_name = "Zoë", "Ngô-Łódź"
    session.add(owner)
    session.flush()
    pq = make.pq(session, owner, world["home"], inquiry_type="Access Request",
                 subject="Access \u2013 \u201cnurse\u201d \U0001f600 " + "x" * 180,
                 details=("A line \u00e9\u0142\u4e2d\u200b\t\r\n" + "unbroken" * 60 + "\n\n") * 15)
    _, data = access_request_pdf(session, owner, pq.id)
    pages, text = pdf_text(data)
    assert pages == 2  # long details are cut short (the PQ keeps them); the agreement keeps its own page
    assert "Zoë Ngô-Łódź" in text and "Access \u2013 \u201cnurse\u201d" in squeezed(text)
    assert f"The full text is on PQ {pq.id}" in squeezed(text)


@pytest.mark.parametrize("raw, drawn", [("Zoë Ngô 李", "Zoë Ngô ?"), ("Łódź", "Lódz"), ("a\u2014b \u2026", "a-b ..."),
                                        ("tab\there\x07", "tab    here"), ("two\nlines", "two lines")])
def test_text_is_made_latin1(raw, drawn):
    assert latin1(raw) == drawn
    assert latin1(raw).encode("latin-1")


def test_a_provider_of_another_organization_gets_nothing(session, world):
    with pytest.raises(NotAllowed, match="No such PQ"):
        access_request_pdf(session, world["stranger"], world["pq"].id)
    with pytest.raises(NotAllowed, match="No such PQ"):
        access_request_pdf(session, world["owner"], world["pq"].id + 1000)
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "pq.access_form_generated")).all() == []


def test_only_access_request_pqs_have_the_form(session, world, make):
    question = make.pq(session, world["owner"], world["home"], inquiry_type="General Question")
    with pytest.raises(Invalid, match="only for Access Request PQs"):
        access_request_pdf(session, world["owner"], question.id)


def test_the_help_desk_may_generate_any_pqs_form(session, world, make):
    admin = make.user(session, "helpdesk", is_admin=True)
    _, data = access_request_pdf(session, admin, world["pq"].id)
    assert "Kaya Nukluk" in pdf_text(data)[1]


def test_the_blank_form_asks_for_everything_and_fills_in_nothing():
    data = blank_access_request_pdf()
    pages, text = pdf_text(data)
    text = squeezed(text)
    assert pages == 2
    assert "Harmony Access Request" in text and "Signature of User" in text
    for acknowledgement in ACKNOWLEDGEMENTS:
        assert squeezed(acknowledgement)[:40] in text
    assert "AKST" not in text and "@example.org" not in text


def test_the_longest_values_the_portal_allows_still_fit_two_pages():
    from harmony_portal.services.pq.access_form_pdf import FormValues, render

    values = FormValues(pq_number="999999999999", provider_name="Provider " * 22, organization_id="O" * 32,
                        inquiry_type="Access Request", subject="S" * 200, details="\n".join(["line"] * 1500),
                        filed="Nov 22, 2026 3:05 PM AKST", name=" ".join(["N" * 80] * 3), user_id="u" * 64,
                        email="e" * 240 + "@example.org", phone="9" * 32,
                        address=["A" * 120, "B" * 120, "C" * 80 + ", AK 99801-1234", "USA"])
    pages, text = pdf_text(render(values))
    assert pages == 2 and "The full text is on PQ 999999999999" in squeezed(text)


def test_without_the_unicode_font_the_form_still_renders_in_latin1(monkeypatch):
    from pathlib import Path

    from harmony_portal.services.pq.access_form_pdf import FormValues, render
    from harmony_portal.settings import get_settings

    monkeypatch.setattr(get_settings(), "harmony_pdf_font", Path("/nowhere/NoSuchFont.ttf"))
    _pages, text = pdf_text(render(FormValues(pq_number="7", name="Łódź Zoë")))
    assert "Lódz Zoë" in text  # Ł has no Latin-1 form: it loses its stroke
