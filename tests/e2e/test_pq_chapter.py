"""The PQ chapter in Chromium: File > Add PQ, Save PQ, Notes, Add Note with attachments, downloads."""

import io

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect
from pypdf import PdfWriter
from sqlmodel import select

from harmony_portal.models import OrgRole, User
from harmony_portal.services.pq.filing import PQForm, add_pq
from tests import factories
from tests.e2e.helpers import assert_accessible, make_account, sign_in


def _pdf(pages: int = 2) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _file_input(page):
    return page.locator("#note-files input[type=file]")


def test_a_provider_files_an_access_request_with_a_signed_form(page, browser, portal):
    provider, secret = make_account(portal, "pqprov", first="Polly", last="Provider", roles=(("123", "Staff"),))
    sign_in(page, portal, provider, secret)
    page.goto(portal.url + "/pq")
    expect(page.get_by_role("heading", name="PQ chapter")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Add PQ").click()
    expect(page.get_by_role("heading", name="Add PQ")).to_be_visible()

    # A refusal names every missing field and keeps what was typed.
    page.get_by_label("Subject").fill("Access for our new nurse")
    page.get_by_role("button", name="Save PQ").click()
    refusal = page.get_by_role("main").get_by_role("alert").first
    expect(refusal).to_contain_text("Provider Name")
    expect(refusal).to_contain_text("Details")
    expect(page.get_by_label("Subject")).to_have_value("Access for our new nurse")

    page.get_by_label("Provider Name").select_option(label="Taiga Nursing Home (123)")
    page.get_by_label("Inquiry Type").select_option("Access Request")
    expect(page.get_by_label("Assigned Resource")).to_have_value("Harmony Help Desk")
    page.get_by_label("Details").fill("Please give Nora Kenai the Staff role at Taiga Nursing Home.")
    assert_accessible(page)
    page.get_by_role("button", name="Save PQ").click()

    expect(page.get_by_role("status").filter(has_text="The save was successful")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("PQ ")
    expect(page.get_by_text("We will respond by")).to_be_visible()
    for tab in ("Details", "Notes", "Attachments", "History"):
        expect(page.get_by_role("tab", name=tab)).to_be_visible()
    pq_url = page.url.split("?")[0]
    assert_accessible(page)
    form_link = page.get_by_role("link", name="Download the Access Request form, filled in")
    filled = page.request.get(portal.url + form_link.get_attribute("href"))
    assert filled.status == 200 and filled.body().startswith(b"%PDF")

    page.get_by_role("tab", name="Notes").click()
    page.get_by_role("button", name="Add Note").click()
    dialog = page.get_by_role("dialog", name="Add Note")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Note", exact=True).fill("The signed Harmony Access Request form is attached.")
    # A renamed program and an oversized file are refused by name; the note text stays.
    _file_input(page).set_input_files([
        {"name": "form.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00" + b"\x00" * 4096},
        {"name": "huge.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.7\n" + b"0" * (20 * 1024 * 1024)},
    ])
    dialog.get_by_role("button", name="Upload").click()
    expect(dialog.get_by_text("form.pdf: not a PDF, PNG, JPEG, TIFF or DOCX file")).to_be_visible(timeout=30_000)
    expect(dialog.get_by_text("huge.pdf: larger than 10 MB")).to_be_visible()
    expect(dialog.get_by_label("Note", exact=True)).to_have_value("The signed Harmony Access Request form is attached.")

    _file_input(page).set_input_files([{"name": "signed-access-form.pdf", "mimeType": "application/pdf",
                                        "buffer": _pdf(2)}])
    dialog.get_by_role("button", name="Upload").click()
    expect(dialog.get_by_text("signed-access-form.pdf (")).to_be_visible(timeout=30_000)
    assert_accessible(page)
    dialog.get_by_role("button", name="Save and Close Note").click()
    expect(page.get_by_role("status").filter(has_text="The note was saved with 1 attachment.")).to_be_visible()
    # The note itself lists its file, with a size a person reads.
    files = page.get_by_role("list", name="Files of this note")
    expect(files.get_by_role("link", name="signed-access-form.pdf")).to_be_visible()
    expect(files).to_contain_text("(551 bytes)")

    page.get_by_role("tab", name="Attachments").click()
    link = page.get_by_role("link", name="signed-access-form.pdf")
    expect(link).to_be_visible()
    href = link.get_attribute("href")
    download = page.request.get(portal.url + href)
    assert download.status == 200 and download.body().startswith(b"%PDF")
    assert download.headers["content-disposition"].startswith("attachment")
    page.get_by_role("tab", name="History").click()
    expect(page.get_by_role("region", name="History")).to_contain_text("note added")

    # A provider of another organization can't open the PQ or its file, by URL either.
    stranger, stranger_secret = make_account(portal, "pqother", roles=(("AK-PCS-01", "Staff"),))
    other = browser.new_context()
    other_page = other.new_page()
    sign_in(other_page, portal, stranger, stranger_secret)
    other_page.goto(pq_url)
    expect(other_page.get_by_role("main").get_by_role("alert")).to_contain_text("No such PQ")
    assert other_page.request.get(portal.url + href).status == 404
    other.close()
    # Reflex's public upload folder serves nothing of it.
    assert page.request.get(portal.url + "/_upload/signed-access-form.pdf").status in (404, 405)

    # Home lists the PQs the provider filed, each a link to its page.
    page.goto(portal.url + "/")
    mine = page.get_by_role("region", name="My PQs")
    expect(mine).to_contain_text("Access for our new nurse")
    mine.get_by_role("link", name=f"PQ {pq_url.rsplit('/', 1)[-1]}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("PQ ")
    assert page.url.split("?")[0].rstrip("/") == pq_url.rstrip("/")


def _access_request(portal, requester: User, subject: str, details: str) -> int:
    """An Access Request PQ of organization 123 filed by ``requester`` through the service, with the
    signed form's scan on an Access Request note (the paper path); its number."""
    with portal.session() as s:
        filer = s.get(User, requester.id)
        filed = add_pq(s, filer, PQForm(provider="123", inquiry_type="Access Request", subject=subject,
                                        details=details))
        factories.scan(s, filer, filed)
        s.commit()
        return filed.id


def test_the_help_desk_grants_an_access_request_from_the_pq(page, browser, portal):
    requester, requester_secret = make_account(portal, "pqneeds", first="Nell", last="Needs", roles=(("123", "Staff"),))
    pq_id = _access_request(portal, requester, "Assessment access", "Nell needs the Assessment Coordinator role.")
    # The requester keeps the PQ open: everything the help desk does shows there without reload.
    requester_context = browser.new_context()
    watching = requester_context.new_page()
    watching.set_default_timeout(15_000)
    sign_in(watching, portal, requester, requester_secret)
    watching.goto(f"{portal.url}/pq/{pq_id}")
    expect(watching.get_by_role("tabpanel")).to_contain_text("Pending")
    desk, desk_secret = make_account(portal, "pqdesk", is_admin=True)
    sign_in(page, portal, desk, desk_secret)
    page.goto(f"{portal.url}/pq/{pq_id}")
    work = page.get_by_role("region", name="Work this PQ")
    expect(work).to_be_visible()
    assert_accessible(page)
    work.get_by_role("button", name="Take").click()
    expect(page.get_by_role("status").filter(has_text="You took this PQ.")).to_be_visible()
    work.get_by_label("Role to grant").select_option("Assessment Coordinator")
    work.get_by_role("button", name="Grant role").click()
    expect(page.get_by_role("status").filter(has_text="Granted the Assessment Coordinator role")).to_be_visible()
    expect(page.get_by_role("tabpanel")).to_contain_text("Resolved")
    expect(watching.get_by_role("tabpanel")).to_contain_text("Resolved", timeout=3_000)

    # A Response reaches the requester's open page; an Internal note never does.
    page.get_by_role("tab", name="Notes").click()
    for note_type, text in (("Internal", "Checked the training record."), ("Response", "Your role is granted.")):
        page.get_by_role("button", name="Add Note").click()
        dialog = page.get_by_role("dialog", name="Add Note")
        dialog.get_by_label("PQ Note Type").select_option(note_type)
        dialog.get_by_label("Note", exact=True).fill(text)
        dialog.get_by_role("button", name="Save and Close Note").click()
        expect(page.get_by_role("status").filter(has_text="The note was saved")).to_be_visible()
    watching.get_by_role("tab", name="Notes").click()
    expect(watching.get_by_text("Your role is granted.")).to_be_visible(timeout=3_000)
    expect(watching.get_by_text("Checked the training record.")).to_have_count(0)
    requester_context.close()
    with portal.session() as s:
        assert s.exec(select(OrgRole).where(OrgRole.user_id == requester.id,
                                            OrgRole.role == "Assessment Coordinator")).one()


def _tab_to(page, locator, limit: int = 60) -> None:
    """Press Tab until ``locator`` has the focus (as a keyboard user would); fail if it never does."""
    for _ in range(limit):
        if locator.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {locator}")


def _open_chooser_with_enter(page, button):
    """Enter on the focused button opens the file chooser. On a loaded machine the keypress can land
    while the blur event of the field just left is still being answered; a person would press Enter
    again, so the test does too, once, and fails if the chooser still does not open. Each wait is long:
    a chooser that opens after the test stopped listening is not intercepted, and Chromium then opens
    no other (CI saw the second try fail that way after a 5-second first wait)."""
    for attempt in (1, 2):
        try:
            with page.expect_file_chooser(timeout=15_000) as chooser:
                page.keyboard.press("Enter")
            return chooser.value
        except PlaywrightTimeoutError:
            if attempt == 2:
                raise
            _tab_to(page, button)
    raise AssertionError("unreachable")


def test_the_whole_path_works_with_the_keyboard_alone(page, portal):
    provider, secret = make_account(portal, "pqkeys", first="Kira", last="Keys", roles=(("123", "Staff"),))
    sign_in(page, portal, provider, secret)
    page.goto(portal.url + "/pq")
    _tab_to(page, page.get_by_role("button", name="Add PQ"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Add PQ")).to_be_visible()
    # The organizations arrive with the page's data: a person sees them before choosing one.
    expect(page.get_by_label("Provider Name").locator("option", has_text="Taiga")).to_have_count(1)
    _tab_to(page, page.get_by_label("Provider Name"))
    page.keyboard.type("Taiga")
    _tab_to(page, page.get_by_label("Inquiry Type"))
    page.keyboard.type("Access")
    _tab_to(page, page.get_by_label("Subject"))
    page.keyboard.type("Keyboard-only access request")
    _tab_to(page, page.get_by_label("Details"))
    page.keyboard.type("Staff role for Kira Keys.")
    _tab_to(page, page.get_by_role("button", name="Save PQ"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="The save was successful")).to_be_visible()
    _tab_to(page, page.get_by_role("tab", name="Details"))
    page.keyboard.press("ArrowRight")  # the tab list moves with the arrow keys
    expect(page.get_by_role("tab", name="Notes")).to_be_focused()
    page.keyboard.press("Enter")
    _tab_to(page, page.get_by_role("button", name="Add Note"))
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Add Note")
    expect(dialog.get_by_label("Note", exact=True)).to_be_focused()
    page.keyboard.type("Signed form attached, keyboard only.")
    add_attachment = dialog.get_by_role("button", name="Add Attachment")
    _tab_to(page, add_attachment)
    chooser = _open_chooser_with_enter(page, add_attachment)
    chooser.set_files([{"name": "keyboard-form.pdf", "mimeType": "application/pdf", "buffer": _pdf(1)}])
    _tab_to(page, dialog.get_by_role("button", name="Upload"))
    page.keyboard.press("Enter")
    expect(dialog.get_by_text("keyboard-form.pdf (")).to_be_visible(timeout=30_000)
    _tab_to(page, dialog.get_by_role("button", name="Save and Close Note"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="The note was saved with 1 attachment.")).to_be_visible()


def test_an_access_coordinator_asks_for_staff_access_and_the_checklist_gates_it(page, browser, portal):
    coordinator, c_secret = make_account(portal, "pqcoord", first="Cora", last="Coordinator",
                                         roles=(("123", "Access Coordinator"),))
    staff, _staff_secret = make_account(portal, "pqstaff", first="Sam", last="Staffer")
    pq_id = _access_request(portal, coordinator, "Access for our new staff", "Sam Staffer starts Monday.")
    sign_in(page, portal, coordinator, c_secret)
    page.goto(f"{portal.url}/pq/{pq_id}")
    staff_access = page.get_by_role("region", name="Staff access")
    staff_access.get_by_label("Staff User ID").fill(staff.user_id)
    staff_access.get_by_label("Staff Email Address").fill(staff.email)
    staff_access.get_by_role("button", name="Request Staff Access").click()
    expect(page.get_by_role("status").filter(has_text="Access requested")).to_be_visible()
    expect(staff_access).to_contain_text("Checklist: 0 of 3")
    staff_access.get_by_role("button", name="Mark done: Identity account made, Sam Staffer").click()
    expect(staff_access).to_contain_text("Checklist: 1 of 3")
    assert_accessible(page)

    desk, desk_secret = make_account(portal, "pqover", is_admin=True)
    other = browser.new_context()
    desk_page = other.new_page()
    desk_page.set_default_timeout(15_000)
    try:
        sign_in(desk_page, portal, desk, desk_secret)
        desk_page.goto(f"{portal.url}/pq/{pq_id}")
        desk_page.get_by_role("button", name="Override checklist for Sam Staffer").click()
        dialog = desk_page.get_by_role("dialog", name="Override checklist")
        expect(dialog).to_be_visible()
        assert_accessible(desk_page)
        dialog.get_by_role("button", name="Override").click()  # no reason: refused, dialog stays
        expect(dialog.get_by_label("Override reason")).to_be_visible()
        dialog.get_by_label("Override reason").fill("Training booked for Tuesday; access needed for orientation.")
        dialog.get_by_role("button", name="Override").click()
        expect(desk_page.get_by_role("status").filter(has_text="Checklist overridden for Sam Staffer")).to_be_visible()
    finally:
        other.close()

    # The staff member sees their own checklist on Home: what their access waits for.
    theirs = browser.new_context()
    staff_page = theirs.new_page()
    staff_page.set_default_timeout(15_000)
    try:
        sign_in(staff_page, portal, staff, _staff_secret)
        checklist = staff_page.get_by_role("region", name="My onboarding checklist")
        expect(checklist).to_contain_text("Checklist: 1 of 3")
        expect(checklist).to_contain_text("Identity account made: done")
        expect(checklist).to_contain_text("training done: not yet")
        expect(checklist).to_contain_text("Overridden by an administrator: Training booked for Tuesday")
        assert_accessible(staff_page)
    finally:
        theirs.close()


def test_add_pq_without_an_organization_says_what_to_do(page, portal):
    newcomer, secret = make_account(portal, "noorg", first="Nora", last="Neworg")
    sign_in(page, portal, newcomer, secret)
    page.goto(portal.url + "/pq/new")
    expect(page.get_by_text("You have no organization yet")).to_be_visible()
    expect(page.get_by_label("Provider Name")).to_have_attribute("aria-describedby",
                                                                 "field-provider-hint field-provider-error")
    assert_accessible(page)
    page.get_by_role("link", name="Request a role").click()
    expect(page.get_by_role("heading", level=1, name="Request a role")).to_be_visible()
