""""Add a passkey?" after a sign-in with password and code: once, again 30 days after "Not now", never to someone
with a passkey, and never to someone the policy holds (they must add one instead)."""

from harmony_portal.models import PortalPolicy, User
from harmony_portal.services.passkeys import offer


def test_offered_once_then_again_after_30_days(session, clock, make):
    user = make.user(session)
    assert offer.offer_now(session, user, now=clock.now())
    assert not offer.offer_now(session, user, now=clock.advance(days=29))
    assert offer.offer_now(session, user, now=clock.advance(days=1, seconds=1))


def test_never_offered_to_someone_with_a_passkey_or_held_by_the_policy(session, clock, make, passkeys):
    owner = make.user(session)
    passkeys.add(owner)
    assert not offer.offer_now(session, owner, now=clock.now())
    admin = make.user(session, is_admin=True)
    session.add(PortalPolicy(id=1, require_passkey_for_grantors=True))
    session.flush()
    assert not offer.offer_now(session, admin, now=clock.now())
    assert session.get(User, admin.id).passkey_prompted_at is None  # not used up: it was never shown
