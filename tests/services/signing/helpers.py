"""Signing steps for the tests: each person's current code, and the filer starting the form."""

from harmony_portal.services.security import current_totp
from harmony_portal.services.signing import flow


def code(world, who, clock):
    return current_totp(world[who][1], clock.now())


def user(world, who):
    return world[who][0]


def start(session, world, clock, **named):
    fields = {"access_for": "", "supervisor": "sue", "agency_signer": "als"} | named
    return flow.start(session, user(world, "ann"), world["pq"].id, **fields, code=code(world, "ann", clock),
                      acknowledged=True, now=clock.now())
