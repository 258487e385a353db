"""The Access Request signed in the portal, in Chromium: the requester, the direct supervisor (by
keyboard alone) and the agency's authorized signer (on a 320-pixel phone) sign in turn; the
requester's open page follows live; the signed form downloads and validates with three signatures."""

import io

from playwright.sync_api import expect
from pyhanko.pdf_utils.reader import PdfFileReader
from sqlmodel import select

from harmony_portal.models import SigningForm, User
from harmony_portal.services.pq.filing import PQForm, add_pq
from harmony_portal.services.signing import document
from harmony_portal.services.signing.certificates import signing_identity
from tests.e2e.helpers import assert_accessible, fresh_code, make_account, sign_in

OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


def _tab_to(page, locator, limit: int = 80) -> None:
    for _ in range(limit):
        if locator.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {locator}")


def _access_request(portal, filer: User) -> int:
    with portal.session() as s:
        filed = add_pq(s, s.get(User, filer.id), PQForm(provider="123", inquiry_type="Access Request",
                                                         subject="Access for our new nurse",
                                                         details="Staff access to the PQ chapter, please."))
        s.commit()
        return filed.id


def _signed_in_page(browser, portal, user, secret, path: str, **context_args):
    context = browser.new_context(**context_args)
    page = context.new_page()
    page.set_default_timeout(20_000)
    sign_in(page, portal, user, secret)
    page.goto(portal.url + path)
    return context, page


def test_three_signers_sign_in_turn_and_the_signed_form_validates(page, browser, portal):
    ann, ann_secret = make_account(portal, "signann", first="Ann", last="Łukasz", roles=(("123", "Staff"),))
    sue, sue_secret = make_account(portal, "signsue", first="Sue", last="Super", roles=(("123", "Staff"),))
    al, al_secret = make_account(portal, "signal", first="Al", last="Agency", roles=(("123", "Access Coordinator"),))
    pq_id = _access_request(portal, ann)

    # The requester names the signers, accepts the acknowledgements and signs first.
    sign_in(page, portal, ann, ann_secret)
    page.goto(f"{portal.url}/pq/{pq_id}")
    section = page.get_by_role("region", name="Sign the Access Request")
    expect(section.get_by_label("Access for")).to_have_value(ann.user_id)
    section.get_by_label("Direct supervisor").fill("nobody-at-all")
    section.get_by_label("Agency authorized signer").fill(al.user_id)
    for box in section.get_by_role("checkbox").all():
        box.check()
    assert_accessible(page)
    section.get_by_role("button", name="Sign the form").click()
    dialog = page.get_by_role("dialog", name="Confirm it is you")
    expect(dialog).to_be_visible()
    assert_accessible(page)
    dialog.get_by_label("Security code").fill(fresh_code(portal, ann.id, ann_secret))
    dialog.get_by_role("button", name="Verify").click()
    # A refused name: back to the form with what was typed, and the reason beside the field.
    expect(section.get_by_text("No active account has the User ID or email")).to_be_visible()
    expect(section.get_by_label("Agency authorized signer")).to_have_value(al.user_id)
    section.get_by_label("Direct supervisor").fill(sue.user_id)
    for box in section.get_by_role("checkbox").all():
        box.check()
    section.get_by_role("button", name="Sign the form").click()
    dialog.get_by_label("Security code").fill(fresh_code(portal, ann.id, ann_secret))
    dialog.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("status").filter(has_text="You signed the form.")).to_be_visible()
    expect(section.get_by_text("Signatures: 1 of 3")).to_be_visible()
    expect(section.get_by_text("Signature check: 1 valid signature")).to_be_visible()

    # The direct supervisor: Forms to sign on Home, then keyboard only.
    sue_context, sue_page = _signed_in_page(browser, portal, sue, sue_secret, "/")
    forms = sue_page.get_by_role("region", name="Forms to sign")
    forms.get_by_role("link", name=f"PQ {pq_id}: Access for our new nurse").click()
    sue_section = sue_page.get_by_role("region", name="Sign the Access Request")
    sign = sue_section.get_by_role("button", name="Sign the form")
    expect(sign).to_be_visible()
    _tab_to(sue_page, sign)
    sue_page.keyboard.press("Enter")
    code = sue_page.get_by_role("dialog", name="Confirm it is you").get_by_label("Security code")
    _tab_to(sue_page, code)
    sue_page.keyboard.type(fresh_code(portal, sue.id, sue_secret))
    sue_page.keyboard.press("Enter")
    expect(sue_page.get_by_role("status").filter(has_text="You signed the form.")).to_be_visible()
    sue_context.close()
    expect(section.get_by_text("Signatures: 2 of 3")).to_be_visible(timeout=5_000)  # live, no reload

    # The agency's authorized signer, on a phone: nothing scrolls sideways.
    al_context, al_page = _signed_in_page(browser, portal, al, al_secret, f"/pq/{pq_id}",
                                          viewport={"width": 320, "height": 640})
    al_section = al_page.get_by_role("region", name="Sign the Access Request")
    expect(al_section.get_by_role("button", name="Sign the form")).to_be_visible()
    assert al_page.evaluate(OVERFLOW) <= 0
    al_section.get_by_role("button", name="Sign the form").click()
    al_dialog = al_page.get_by_role("dialog", name="Confirm it is you")
    assert al_page.evaluate(OVERFLOW) <= 0
    al_dialog.get_by_label("Security code").fill(fresh_code(portal, al.id, al_secret))
    al_dialog.get_by_role("button", name="Verify").click()
    expect(al_page.get_by_role("status").filter(has_text="You signed the form.")).to_be_visible()
    al_context.close()

    # The requester's page, open all along: three valid signatures, and the signed form to download.
    expect(section.get_by_text("Signatures: 3 of 3")).to_be_visible(timeout=5_000)
    expect(section.get_by_text("Signature check: 3 valid signatures")).to_be_visible()
    with page.expect_download() as download:
        section.get_by_role("link", name="Download the signed form").click()
    signed = download.value.path().read_bytes()
    assert document.validate(signed, signing_identity()).summary(3) == "3 valid signatures"
    fields = [s.field_name for s in PdfFileReader(io.BytesIO(signed)).embedded_signatures]
    assert fields == ["requester", "supervisor", "agency_signer"]
    with page.expect_download() as record:
        section.get_by_role("link", name="Download the signing record").click()
    assert record.value.path().read_bytes().startswith(b"%PDF")
    with portal.session() as s:
        assert s.exec(select(SigningForm).where(SigningForm.pq_id == pq_id)).one().status == "signed"


def test_a_signer_declines_with_a_reason_and_the_requester_sees_why(page, browser, portal):
    ann, ann_secret = make_account(portal, "decann", first="Dee", roles=(("123", "Staff"),))
    sue, sue_secret = make_account(portal, "decsue", first="Sol", roles=(("123", "Staff"),))
    al, _al_secret = make_account(portal, "decal", first="Ada", roles=(("123", "Security Official"),))
    pq_id = _access_request(portal, ann)
    sign_in(page, portal, ann, ann_secret)
    page.goto(f"{portal.url}/pq/{pq_id}")
    section = page.get_by_role("region", name="Sign the Access Request")
    section.get_by_label("Direct supervisor").fill(sue.user_id)
    section.get_by_label("Agency authorized signer").fill(al.user_id)
    for box in section.get_by_role("checkbox").all():
        box.check()
    section.get_by_role("button", name="Sign the form").click()
    dialog = page.get_by_role("dialog", name="Confirm it is you")
    dialog.get_by_label("Security code").fill(fresh_code(portal, ann.id, ann_secret))
    dialog.get_by_role("button", name="Verify").click()
    expect(section.get_by_text("Signatures: 1 of 3")).to_be_visible()

    sue_context, sue_page = _signed_in_page(browser, portal, sue, sue_secret, f"/pq/{pq_id}")
    sue_page.get_by_role("region", name="Sign the Access Request").get_by_role("button", name="Decline").click()
    decline = sue_page.get_by_role("dialog", name="Decline to sign")
    assert_accessible(sue_page)
    decline.get_by_role("button", name="Decline").click()
    expect(decline.get_by_text("Enter a decline reason")).to_be_visible()
    decline.get_by_label("Decline reason").fill("Dee has not started with us yet.")
    decline.get_by_role("button", name="Decline").click()
    expect(sue_page.get_by_role("status").filter(has_text="You declined to sign")).to_be_visible()
    sue_context.close()
    expect(section.get_by_text("Dee has not started with us yet.")).to_be_visible(timeout=5_000)
    # A new form can start again, with the same people filled in.
    expect(section.get_by_label("Direct supervisor")).to_have_value(sue.user_id)


def test_the_requester_withdraws_the_form_with_a_reason(page, portal):
    ann, ann_secret = make_account(portal, "wdann", first="Wren", roles=(("123", "Staff"),))
    sue, _ = make_account(portal, "wdsue", first="Wes", roles=(("123", "Staff"),))
    al, _ = make_account(portal, "wdal", first="Wyn", roles=(("123", "Security Official"),))
    pq_id = _access_request(portal, ann)
    sign_in(page, portal, ann, ann_secret)
    page.goto(f"{portal.url}/pq/{pq_id}")
    section = page.get_by_role("region", name="Sign the Access Request")
    section.get_by_label("Access for").fill(sue.user_id)  # for a colleague: they sign first, later
    section.get_by_label("Direct supervisor").fill(al.user_id)
    section.get_by_label("Agency authorized signer").fill(al.user_id)
    section.get_by_role("button", name="Sign the form").click()
    dialog = page.get_by_role("dialog", name="Confirm it is you")
    dialog.get_by_label("Security code").fill(fresh_code(portal, ann.id, ann_secret))
    dialog.get_by_role("button", name="Verify").click()
    expect(section.get_by_text("must be someone other than the direct supervisor")).to_be_visible()
    section.get_by_label("Direct supervisor").fill(ann.user_id)
    section.get_by_role("button", name="Sign the form").click()
    dialog.get_by_label("Security code").fill(fresh_code(portal, ann.id, ann_secret))
    dialog.get_by_role("button", name="Verify").click()
    expect(section.get_by_text("Signatures: 0 of 3")).to_be_visible()
    section.get_by_role("button", name="Withdraw").click()
    withdraw = page.get_by_role("dialog", name="Withdraw the form")
    assert_accessible(page)
    withdraw.get_by_label("Withdraw reason").fill("Filed for the wrong person.")
    withdraw.get_by_role("button", name="Withdraw").click()
    expect(section.get_by_text("withdrew the form: Filed for the wrong person.")).to_be_visible()
    expect(section.get_by_text("Signatures: 0 of 3, withdrawn")).to_be_visible()
