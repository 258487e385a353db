"""Drawing the Harmony Access Request form from its values (fpdf2, Latin-1 core fonts)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from harmony_portal.settings import get_settings
from harmony_portal.vocabulary import ACCESS_REQUEST, HELP_DESK, HELP_DESK_EMAIL

TITLE = "Harmony Access Request"


ACKNOWLEDGEMENTS = (
    "I have a working knowledge of Protected Health Information (PHI) and will handle it, in digital "
    "and paper documents, under HIPAA rules.",
    "My Harmony account is unique to me. I will not share my user ID, password or sign-in codes with "
    "anyone, nor use another person's account.",
    "The email address above is a professional address that I check regularly and that only I use.",
    "I have completed, or will complete before using Harmony, the Introduction to Harmony training.",
)


# Typographic characters people paste from word processors, written the Latin-1 way.
_PLAIN = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u2026": "...", "\u2022": "*", "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u200b": "",
    "\u2122": "(TM)", "\u20ac": "EUR", "\u0131": "i", "\u0141": "L", "\u0142": "l", "\u0110": "D",
    "\u0111": "d", "\u0152": "OE", "\u0153": "oe", "\u00df": "ss",
    "\t": "    ", "\r": "",
})


def latin1(text: object, *, multiline: bool = False) -> str:
    """``text`` in characters the PDF core fonts can draw.

    Typographic punctuation becomes its plain form, accented letters outside Latin-1 lose
    their accent ("Ngô" stays, "Łódź" becomes "Lodz"), and anything else (other scripts,
    emoji, control characters) becomes "?". Newlines are kept only when ``multiline``.
    """
    out = []
    for ch in unicodedata.normalize("NFC", str(text or "")).translate(_PLAIN):
        if ch == "\n":
            out.append("\n" if multiline else " ")
        elif " " <= ch <= "~" or "\u00a1" <= ch <= "\u00ff":
            out.append(ch)
        elif unicodedata.category(ch).startswith("C"):
            continue  # control and format characters: nothing to draw
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            out.append(base if base and all(" " <= c <= "~" or "\u00a1" <= c <= "\u00ff" for c in base) else "?")
    return "".join(out)


@dataclass
class FormValues:
    """What the form says; empty strings leave lines to write on."""

    pq_number: str = ""
    provider_name: str = ""
    organization_id: str = ""
    inquiry_type: str = ""
    subject: str = ""
    details: str = ""
    filed: str = ""
    name: str = ""
    user_id: str = ""
    email: str = ""
    phone: str = ""
    address: list[str] = field(default_factory=list)
    # Signed in the portal: (who signs, their printed name) in signing order; empty for paper.
    signers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def blank(self) -> bool:
        return not self.pq_number


class PortalPDF(FPDF):
    """A PDF in the portal's Unicode font (HARMONY_PDF_FONT, DejaVu Sans Condensed by default: Latin, Greek,
    Cyrillic and more, drawn as typed); where the machine lacks it, the core fonts, Latin-1 only."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        regular = get_settings().harmony_pdf_font
        bold = regular.with_name(regular.stem + "-Bold" + regular.suffix)
        self.unicode = regular.is_file() and bold.is_file()
        if self.unicode:
            self.add_font("Body", "", str(regular))
            self.add_font("Body", "B", str(bold))
        self.body_font = "Body" if self.unicode else "Helvetica"

    def drawable(self, text: object, *, multiline: bool = False) -> str:
        """``text`` as this PDF can draw it: as typed in the Unicode font (control characters out,
        tabs as spaces, newlines only when ``multiline``); else through ``latin1``."""
        if not self.unicode:
            return latin1(text, multiline=multiline)
        out = []
        for ch in unicodedata.normalize("NFC", str(text or "")).replace("\t", "    ").replace("\r", ""):
            if ch == "\n":
                out.append("\n" if multiline else " ")
            elif not unicodedata.category(ch).startswith("C"):
                out.append(ch)
        return "".join(out)


class _Form(PortalPDF):
    running_title = TITLE

    def header(self) -> None:
        if self.page_no() > 1:  # so a loose signature page still says whose form it is
            self.set_font(self.body_font, size=8)
            self.set_text_color(90)
            title = self.drawable(self.running_title)
            while self.get_string_width(title) > self.epw and len(title) > 4:
                title = title[:-4] + "..."
            self.cell(0, 5, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_text_color(0)
            self.ln(2)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(self.body_font, size=8)
        self.set_text_color(90)
        self.cell(0, 5, f"{TITLE}  |  Page {self.page_no()} of {{nb}}", align="C")


_PAPER_INTRO = (
    "Harmony Security Agreement (Individual User). Complete, tick each acknowledgement, sign, have your "
    "Access Coordinator sign, then attach this form to your Access Request PQ: Notes, Add Note "
    "(PQ Note Type \"Access Request\"), Add Attachment, Upload, Save and Close Note. "
    f"The {HELP_DESK} ({HELP_DESK_EMAIL}) responds within 24 business hours.")
_PORTAL_INTRO = (
    "Harmony Security Agreement (Individual User), signed in the Harmony Portal: the requester, their direct "
    "supervisor and the agency's authorized signer each sign this document digitally, in that order. Each "
    "signature covers the whole form as it stood when signed. The signing record lists who was asked and "
    f"who signed when. The {HELP_DESK} ({HELP_DESK_EMAIL}) grants access from the fully signed form.")

_PAPER_OATH = ("By signing, the user accepts the acknowledgements above, and the Access Coordinator confirms that "
               "the user works for the provider and needs access to Harmony.")
_PORTAL_OATH = ("By signing, the requester accepts the acknowledgements above (ticked in the portal before signing), "
                "the direct supervisor confirms that the requester works for the provider and needs this access, "
                "and the agency's authorized signer authorizes it for the provider.")

_LABEL_W = 48.0


_LINE_H = 5.6


def _heading(pdf: FPDF, text: str) -> None:
    if pdf.get_y() > pdf.t_margin + 12:
        pdf.ln(3)
    pdf.set_font(pdf.body_font, "B", 11.5)
    pdf.set_fill_color(230, 236, 244)
    pdf.cell(0, 7, pdf.drawable(text), fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1.5)


def _field(pdf: FPDF, label: str, value: str, *, blank_lines: int = 1, multiline: bool = False,
           max_lines: int | None = None, overflow: str = "") -> None:
    """A label and its value wrapped beside it; with no value, ruled lines to write on.

    With ``max_lines`` a longer value is cut to that many printed lines, the last saying ``overflow``.
    """
    if pdf.will_page_break(_LINE_H * max(blank_lines, 1) + 2):
        pdf.add_page()
    pdf.set_font(pdf.body_font, "B", 9.5)
    top = pdf.get_y()
    label_lines = pdf.multi_cell(_LABEL_W - 2, _LINE_H, pdf.drawable(label), dry_run=True, output="LINES")
    pdf.multi_cell(_LABEL_W - 2, _LINE_H, pdf.drawable(label), align="L", new_x=XPos.RIGHT, new_y=YPos.TOP)
    label_bottom = top + _LINE_H * len(label_lines)
    pdf.set_xy(pdf.l_margin + _LABEL_W, top)
    width = pdf.epw - _LABEL_W
    if value:
        pdf.set_font(pdf.body_font, size=10)
        text = pdf.drawable(value, multiline=multiline)
        if max_lines is not None:
            lines = pdf.multi_cell(width, _LINE_H, text, dry_run=True, output="LINES")
            if len(lines) > max_lines:
                text = "\n".join([*lines[:max_lines - 1], pdf.drawable(overflow)])
        pdf.multi_cell(width, _LINE_H, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    else:
        x = pdf.l_margin + _LABEL_W
        pdf.set_draw_color(120)
        for n in range(blank_lines):
            y = top + _LINE_H * (n + 1) - 0.6
            pdf.line(x, y, x + width, y)
        pdf.set_xy(pdf.l_margin, top + _LINE_H * blank_lines)
    pdf.set_y(max(pdf.get_y(), label_bottom) + 1.2)


def _checkbox(pdf: FPDF, text: str, *, ticked: bool = False) -> None:
    lines = pdf.multi_cell(pdf.epw - 9, _LINE_H, pdf.drawable(text), dry_run=True, output="LINES")
    if pdf.will_page_break(_LINE_H * len(lines) + 2):
        pdf.add_page()
    top = pdf.get_y()
    pdf.set_draw_color(40)
    pdf.rect(pdf.l_margin + 1, top + 0.9, 3.8, 3.8)
    if ticked:
        pdf.line(pdf.l_margin + 1.6, top + 1.5, pdf.l_margin + 4.2, top + 4.1)
        pdf.line(pdf.l_margin + 4.2, top + 1.5, pdf.l_margin + 1.6, top + 4.1)
    pdf.set_xy(pdf.l_margin + 9, top)
    pdf.multi_cell(pdf.epw - 9, _LINE_H, pdf.drawable(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1.5)


def _signature_block(pdf: FPDF, who: str, printed_name: str) -> None:
    if pdf.will_page_break(30):
        pdf.add_page()
    pdf.ln(8)
    y = pdf.get_y()
    left, sign_w, gap = pdf.l_margin, pdf.epw * 0.64, 8
    pdf.set_draw_color(40)
    pdf.line(left, y, left + sign_w, y)
    pdf.line(left + sign_w + gap, y, left + pdf.epw, y)
    pdf.set_font(pdf.body_font, size=8.5)
    pdf.set_xy(left, y + 0.8)
    pdf.cell(sign_w, 4.5, pdf.drawable(f"Signature of {who}"))
    pdf.set_xy(left + sign_w + gap, y + 0.8)
    pdf.cell(0, 4.5, "Date", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)
    pdf.set_font(pdf.body_font, size=10)
    if printed_name:
        pdf.multi_cell(sign_w, _LINE_H, pdf.drawable(printed_name), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    else:
        pdf.ln(_LINE_H)
    y = pdf.get_y()
    pdf.line(left, y, left + sign_w, y)
    pdf.set_font(pdf.body_font, size=8.5)
    pdf.set_xy(left, y + 0.8)
    pdf.cell(sign_w, 4.5, pdf.drawable(f"Printed name of {who}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def render(values: FormValues) -> bytes:
    """The form as PDF bytes (``FormValues()`` gives the blank form)."""
    pdf = _Form(format="Letter", unit="mm")
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=20)
    if not values.blank:
        pdf.running_title = f"{TITLE}, PQ {values.pq_number}" + (f", {values.name}" if values.name else "")
    pdf.set_title(pdf.drawable(pdf.running_title))
    pdf.set_subject("Harmony Security Agreement (Individual User)")
    pdf.set_creator("Harmony Portal")
    pdf.alias_nb_pages()
    pdf.add_page()

    pdf.set_font(pdf.body_font, "B", 17)
    pdf.cell(0, 9, TITLE, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(pdf.body_font, size=9.5)
    pdf.multi_cell(0, 4.8, pdf.drawable(_PORTAL_INTRO if values.signers else _PAPER_INTRO), align="L",
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    _heading(pdf, "Provider Question")
    _field(pdf, "PQ Number", values.pq_number)
    _field(pdf, "Provider Name", values.provider_name)
    _field(pdf, "Provider ID", values.organization_id)
    _field(pdf, "Inquiry Type", ACCESS_REQUEST if values.blank else values.inquiry_type)
    _field(pdf, "Subject", values.subject)
    _field(pdf, "Filed (Alaska time)", values.filed)

    _heading(pdf, "Requester")
    _field(pdf, "Name", values.name)
    _field(pdf, "User ID", values.user_id)
    _field(pdf, "Email Address", values.email)
    _field(pdf, "Phone Number", values.phone)
    _field(pdf, "Address", "\n".join(values.address), blank_lines=2, multiline=True)

    # Last on the first page, the details get what room is left there (the PQ keeps the whole text).
    if pdf.will_page_break(24 + 3 * _LINE_H):
        pdf.add_page()  # only when the values above filled the first page: then it shares the second
    _heading(pdf, "Access Requested")
    room = int((pdf.page_break_trigger - pdf.get_y() - 2) // _LINE_H)
    if pdf.page_no() > 1:
        room = min(room, 6)  # leaving the acknowledgements and signatures their place
    _field(pdf, "Details (what access, and for whom)", values.details, blank_lines=min(room, 8), multiline=True,
           max_lines=room, overflow=f"[...] The full text is on PQ {values.pq_number}.")

    # The agreement itself (acknowledgements and signatures) starts on the second page.
    if pdf.page_no() == 1:
        pdf.add_page()
    _heading(pdf, "Acknowledgements (tick each box)")
    pdf.set_font(pdf.body_font, size=10)
    for text in ACKNOWLEDGEMENTS:
        _checkbox(pdf, text, ticked=bool(values.signers))

    _heading(pdf, "Signatures")
    pdf.set_font(pdf.body_font, size=9.5)
    pdf.multi_cell(0, 4.8, _PORTAL_OATH if values.signers else _PAPER_OATH,
                   align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for who, printed_name in values.signers or [("User", values.name), ("Access Coordinator", "")]:
        _signature_block(pdf, who, printed_name)
    return bytes(pdf.output())
