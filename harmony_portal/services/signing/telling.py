"""Who is told what while a form goes round: the signer whose turn it is, and everyone asked."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from harmony_portal import routes
from harmony_portal.models import PQ, FormSigner, SigningForm, User
from harmony_portal.services import jobs
from harmony_portal.services.notifications.email_preferences import PQ_UPDATES
from harmony_portal.services.notifications.notify import tell, tell_each
from harmony_portal.services.pq.filing import pq_url
from harmony_portal.services.pq.sla import add_business_time
from harmony_portal.services.signing.people import full_name, users_by_id
from harmony_portal.vocabulary import ASKED, SIGNED, SIGNER_ROLES

ROLE_LABELS = dict(SIGNER_ROLES)
# On the clock of the help desk's SLA (Alaska business hours, 7:00am-5:30pm, and state holidays).
ONE_BUSINESS_DAY = timedelta(hours=10, minutes=30)
EXPIRES_AFTER = 10 * ONE_BUSINESS_DAY
REMIND = "signing.remind"
EXPIRE = "signing.expire"


def signers_of(session: Session, form: SigningForm) -> list[FormSigner]:
    return list(session.exec(select(FormSigner).where(FormSigner.form_id == form.id)
                             .order_by(FormSigner.position)))


def ask(session: Session, form: SigningForm, signer: FormSigner, pq: PQ, now: datetime, *,
        reminder: bool = False, schedule_reminder: bool = True) -> None:
    """Tell ``signer`` it is their turn (or remind them), with a link to the PQ; their next reminder
    is a business day on (``schedule_reminder`` False: the reminder job itself says when)."""
    user = session.get(User, signer.user_id)
    role = ROLE_LABELS[signer.role]
    title = ("Reminder: " if reminder else "") + f"Sign the Access Request of PQ {pq.id} as {role}"
    tell(session, user, PQ_UPDATES, title,
         email=(f"Hello {user.first_name},\n\nYou are asked to sign the Harmony Access Request of PQ {pq.id} "
                f"({pq.provider_name}) as its {role}. Open the PQ, check the form and choose Sign the form or "
                f"Decline:\n\n{pq_url(pq.id)}\n"),
         note=f"Your signature as {role} is asked for on PQ {pq.id} ({pq.provider_name}).",
         link=routes.pq_url(pq.id), now=now)
    if schedule_reminder:
        jobs.schedule(session, REMIND, f"signer:{signer.id}", add_business_time(now, ONE_BUSINESS_DAY))


def tell_everyone_asked(session: Session, form: SigningForm, pq: PQ, title: str, text: str, now: datetime,
                        *, besides: set[int] = frozenset()) -> None:
    """Tell the requester, whoever started the form and every signer asked so far (not ``besides``)."""
    asked = {s.user_id for s in signers_of(session, form) if s.state != "waiting"}
    ids = ({form.access_for_id, form.started_by_id} | asked) - set(besides)
    tell_each(session, users_by_id(session, ids).values(), PQ_UPDATES, title,
              email=f"Hello,\n\n{text}\n\nSee the PQ: {pq_url(pq.id)}\n", note=text, link=routes.pq_url(pq.id), now=now)


def signed_count(signers: list[FormSigner]) -> int:
    return sum(1 for s in signers if s.state == SIGNED)


def turn_of(signers: list[FormSigner]) -> FormSigner | None:
    """The signer whose turn it is (asked, not yet signed)."""
    return next((s for s in signers if s.state == ASKED), None)


def done_signing_title(pq: PQ, user: User) -> str:
    return f"Access Request of PQ {pq.id} signed by {full_name(user)}"
