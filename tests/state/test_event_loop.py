"""Blocking work (argon2, SMTP) never runs on the event loop: other clients don't wait for it."""

import pytest

from benchmarks.stall import measure_stall
from harmony_portal.db import session_scope
from tests.factories import PASSWORD
from tests.state.conftest import run_async

# The heartbeat asks to wake every 5 ms. With the sign-in on the loop, ten at once held it
# for the whole burst (1.3 s, ~100% of it); off the loop the worst wake-up measured 9-19 ms
# of a 1.2 s burst on a quiet two-core machine (benchmarks/stall.py: about 1%). A shared
# machine slows both alike, so the bound is a share of the burst, with an absolute cap.
WORST_SHARE_OF_BURST = 0.10
WORST_ALLOWED_MS = 150


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_burst_of_sign_ins_does_not_stall_other_clients(app_db, make):
    with session_scope() as s:
        user = make.user(s, "burst.user")
        make.enrol(s, user)
    result = run_async(measure_stall("burst.user", PASSWORD, burst=10))
    assert result["worst_stall_ms"] < WORST_SHARE_OF_BURST * result["burst_ms"], result
    assert result["worst_stall_ms"] < WORST_ALLOWED_MS, result
