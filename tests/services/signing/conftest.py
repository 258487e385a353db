"""An Access Request PQ of a nursing home and the people who may (and may not) sign it."""

import pytest


@pytest.fixture
def world(session, make, clock):
    org = make.org(session, "SGN", "Sitka Pioneer Home")
    other = make.org(session, "OTH", "Other Place")
    people = {}
    for key, role, where in (("ann", "Staff", org), ("sue", "Staff", org), ("als", "Access Coordinator", org),
                             ("sam", "Security Official", org), ("zed", "Security Official", other),
                             ("bob", "Staff", org)):
        user = make.user(session, key, first_name=key.capitalize(), last_name="Signer")
        make.grant(session, user, where, role)
        people[key] = (user, make.enrol(session, user, now=clock.now()))
    pq = make.pq(session, people["ann"][0], org, inquiry_type="Access Request", subject="Access for Ann",
                 now=clock.now())
    return {"pq": pq, **people}
