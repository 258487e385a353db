"""Password hashing rate and end-to-end sign-in server time (password, code, session, cookie hand-off)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from benchmarks.common import postgres_database, summary, time_ms, write_results
from harmony_portal.db import make_engine
from harmony_portal.models import User
from harmony_portal.services.security import _hasher, current_totp, hash_password, verify_password
from harmony_portal.services.signin import authentication, rate_limits, two_factor
from harmony_portal.services.signin.sessions import redeem_handoff, sign_in

PASSWORD = "Benchmark passphrase for sign-in"


def run() -> dict:
    stored = hash_password(PASSWORD)
    verifies = [time_ms(lambda: verify_password(stored, PASSWORD)) for _ in range(30)]
    results = {"argon2": {"params": f"t={_hasher.time_cost} m={_hasher.memory_cost}KiB p={_hasher.parallelism}",
                          "verify": summary(verifies),
                          "verifies_per_second_sequential": round(1000 / summary(verifies)["median_ms"], 1)}}
    with postgres_database() as url:
        engine = make_engine(url)
        with Session(engine, expire_on_commit=False) as s:
            user = User(user_id="bench.user", user_id_key="bench.user", email="b@example.org",
                        email_key="b@example.org", first_name="B", last_name="U", password_hash=stored)
            s.add(user)
            s.flush()
            secret = two_factor.enrol_trusted_device(s, user, reason="benchmark")
            s.commit()
        now = datetime.now(UTC)
        samples = []
        for i in range(30):
            moment = now + timedelta(seconds=30 * i)  # a fresh time step each time: codes never replay

            def signing_in(moment=moment):
                with Session(engine, expire_on_commit=False) as s:
                    found = authentication.check_password(s, "bench.user", PASSWORD, now=moment)
                    authentication.check_security_code(s, found.id, current_totp(secret, moment), now=moment)
                    code = sign_in(s, found, second_factor=True, now=moment)
                    s.commit()
                with Session(engine, expire_on_commit=False) as s:  # the cookie route: its own request
                    assert redeem_handoff(s, code, now=moment)
                    s.commit()

            rate_limits.reset()  # 30 sign-ins of one account in seconds: over its limits, by design
            samples.append(time_ms(signing_in))
        results["sign_in_server_time_postgresql"] = summary(samples)
        engine.dispose()
    return results


if __name__ == "__main__":
    write_results("signin", run())
