"""The harmony-portal command: operators' tasks from a shell."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

from harmony_portal.backup import BackupError, make_backup, restore_backup
from harmony_portal.db import session_scope
from harmony_portal.models import utc_now
from harmony_portal.server import launcher, migrations
from harmony_portal.services import demo, key_rotation, keys
from harmony_portal.services.accounts import find, signup
from harmony_portal.services.audit.trail import prune, verify_chain
from harmony_portal.services.clock import format_local
from harmony_portal.services.errors import DomainError, Invalid
from harmony_portal.services.maintenance import schedule
from harmony_portal.services.maintenance import windows as maintenance
from harmony_portal.services.roles import terms
from harmony_portal.services.roles.organizations import add_organization
from harmony_portal.services.security import provisioning_uri
from harmony_portal.services.signin import two_factor
from harmony_portal.settings import ConfigurationError, get_settings
from harmony_portal.vocabulary import PROVIDER_TYPES


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _cmd_migrate(_args) -> int:
    done = migrations.upgrade()  # under a lock on PostgreSQL: safe while other nodes start
    if done.migrated:
        print(f"database migrated from {done.before or 'an empty database'} to {done.after}, the newest schema")
    else:
        print(f"database is at the newest schema ({done.after})")
    return 0


def _cmd_backup(args) -> int:
    manifest = make_backup(Path(args.to))
    counts = manifest["counts"]
    print(f"backed up {sum(counts['tables'].values())} rows in {len(counts['tables'])} tables and "
          f"{counts['attachments']} attachments (schema {manifest['schema_revision']}, "
          f"{manifest['database']['method']}) to {args.to}")
    for key in manifest["missing_attachments"]:
        print(f"warning: attachment file {key[:8]}... is missing from the store (already unreadable in the "
              "portal); its row is backed up without it", file=sys.stderr)
    return 0


def _cmd_restore(args) -> int:
    done = restore_backup(Path(args.source), force=args.force)
    print(f"restored {done['rows']} rows in {done['tables']} tables and {done['attachments']} attachments "
          f"(schema {done['revision']}) from {args.source}")
    if done["next_step"]:
        print(f"the schema is older than this version of the portal needs: {done['next_step']}")
    return 0


def _cmd_create_admin(args) -> int:
    with session_scope() as session:
        admin = signup.create_admin(session, args.user_id, args.email, args.password)
        # An operator-made device is trusted as set up: the key is printed once, here.
        secret = two_factor.enrol_trusted_device(session, admin, secret=args.totp_secret,
                                                 reason="created by an operator (create-admin)")
    print(f"created administrator {admin.user_id}")
    print(f"TOTP setup key: {secret}")
    print(f"otpauth URI: {provisioning_uri(secret, admin.user_id)}")
    return 0


def _cmd_add_organization(args) -> int:
    with session_scope() as session:
        org = add_organization(session, args.id, args.name, args.type, actor=None)
    print(f"added organization {org.id}: {org.name} ({org.provider_type})")
    return 0


def _cmd_seed_demo(_args) -> int:
    with session_scope() as session:
        if not demo.is_empty(session):
            return _fail("the database already has accounts; seed-demo fills an empty database only")
        logins = demo.seed_demo(session)
    print(f"demo data seeded. Every demo password: {demo.DEMO_PASSWORD}")
    print("Two-factor codes: harmony-portal totp-code --user-id USER_ID")
    for login in logins:
        print(f"  {login.user_id:<18} {login.role}")
    return 0


def _cmd_totp_code(args) -> int:
    with session_scope() as session:
        user = find.find_user(session, args.user_id)
        if user is None:
            return _fail(f"no account with User ID {args.user_id!r}")
        print(two_factor.current_code_for_demo(session, user, utc_now()))
    return 0


def _cmd_verify_audit(_args) -> int:
    with session_scope() as session:
        broken = verify_chain(session)
    if broken is None:
        print("audit log hash chain is whole")
        return 0
    return _fail(f"audit log chain broken at row {broken}")


def _cmd_rotate_key(_args) -> int:
    kid, _key = keys.current()
    print(f"rewriting under the current key (id {kid}); run again if stopped, nothing is done twice", flush=True)
    done = key_rotation.rotate(progress=lambda line: print(line, flush=True))
    print(f"done: {done.files} attachment(s) rewritten, {done.secrets} sealed secret(s) resealed"
          + (f"; {done.missing} attachment row(s) have no stored file" if done.missing else ""))
    return 0


def _cmd_maintenance_add(args) -> int:
    starts = schedule.parse_local(args.start, "starts")
    ends = schedule.parse_local(args.end, "ends")
    with session_scope() as session:
        window = schedule.add_window(session, None, starts, ends, args.reason, now=utc_now())
    # No connection to the app: every worker's banner clock reads it within its poll interval.
    print(f"added maintenance window {window.id}: {format_local(window.starts_at)} to {format_local(window.ends_at)}")
    return 0


def _cmd_maintenance_list(_args) -> int:
    with session_scope() as session:
        windows = maintenance.upcoming_windows(session, utc_now())
        print(f"weekly: {schedule.weekly_text(maintenance.weekly_rule(session))}")
    for w in windows:
        ident = str(w.id) if w.id else "weekly"
        print(f"{ident:>7}  {format_local(w.starts_at)} to {format_local(w.ends_at)}  {w.reason}")
    return 0


def _cmd_maintenance_cancel(args) -> int:
    with session_scope() as session:
        window = schedule.cancel_window(session, None, args.id, now=utc_now())
    print(f"cancelled maintenance window {window.id}")
    return 0


def _cmd_roles_end_due(args) -> int:
    """End every role whose last day has passed, at once (the job runner does this every minute)."""
    if args.now:
        try:
            now = datetime.fromisoformat(args.now)
        except ValueError:
            return _fail(f"--now {args.now!r} is not an ISO date and time (e.g. 2027-01-01T09:00-09:00)")
        now = now if now.tzinfo else now.replace(tzinfo=get_settings().timezone)
    else:
        now = utc_now()
    ended = 0
    while True:  # one transaction per batch: a long run holds no lock for long
        with session_scope() as session:
            batch = terms.end_due(session, now=now)
        ended += batch
        if batch < terms.BATCH:
            break
    print(f"ended {ended} role{'' if ended == 1 else 's'} due by {now.isoformat()}")
    return 0


def _add_roles_commands(sub) -> None:
    group = sub.add_parser("roles", help="time-limited roles").add_subparsers(dest="roles_command", required=True)
    p = group.add_parser("end-due", help="end the roles whose last day has passed, now")
    p.add_argument("--now", default="", help="act as if it were this moment (ISO; Alaska time when no offset)")
    p.set_defaults(func=_cmd_roles_end_due)


def _add_maintenance_commands(sub) -> None:
    group = sub.add_parser("maintenance", help="one-off maintenance windows").add_subparsers(
        dest="maintenance_command", required=True)
    p = group.add_parser("add", help="add a window (times with an offset, or Alaska time when none)")
    p.add_argument("--start", required=True)
    p.add_argument("--end", required=True)
    p.add_argument("--reason", default="")
    p.set_defaults(func=_cmd_maintenance_add)
    group.add_parser("list", help="the weekly window and the windows ahead").set_defaults(
        func=_cmd_maintenance_list)
    p = group.add_parser("cancel", help="cancel a one-off window")
    p.add_argument("id", type=int)
    p.set_defaults(func=_cmd_maintenance_cancel)


def _cmd_prune_audit(_args) -> int:
    days = get_settings().harmony_audit_retention_days
    cutoff = utc_now() - timedelta(days=days)
    with session_scope() as session:
        pruned = prune(session, cutoff)
    if not pruned.rows:
        print(f"no audit rows older than {days} days (before {cutoff:%Y-%m-%d %H:%M} UTC)")
        return 0
    print(f"pruned {pruned.rows} audit rows older than {days} days (ids up to {pruned.through_id}); "
          f"checkpoint row {pruned.checkpoint_id} vouches for the rest of the chain")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harmony-portal", description=__doc__,
        epilog="The database is DATABASE_URL; unset, data/harmony.db in the project folder, wherever the "
               "command is run from. Every command says which database it used (on standard error).")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=_cmd_migrate)
    p = sub.add_parser("backup", help="back up the database and the attachment store into a new folder")
    p.add_argument("--to", required=True, metavar="DIR")
    p.set_defaults(func=_cmd_backup)
    p = sub.add_parser("restore", help="restore a backup folder into an empty database and attachment store")
    p.add_argument("--from", dest="source", required=True, metavar="DIR")
    p.add_argument("--force", action="store_true", help="replace whatever the database and the store hold")
    p.set_defaults(func=_cmd_restore)
    p = sub.add_parser("create-admin", help="create a help-desk administrator")
    p.add_argument("--user-id", required=True)
    p.add_argument("--email", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--totp-secret", help="base32 secret to use instead of a new one")
    p.set_defaults(func=_cmd_create_admin)
    p = sub.add_parser("add-organization", help="add a provider organization")
    p.add_argument("--id", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--type", required=True, help="; ".join(PROVIDER_TYPES))
    p.set_defaults(func=_cmd_add_organization)
    sub.add_parser("seed-demo", help="seed demo data into an empty database").set_defaults(func=_cmd_seed_demo)
    p = sub.add_parser("totp-code", help="current two-factor code of a demo account")
    p.add_argument("--user-id", required=True)
    p.set_defaults(func=_cmd_totp_code)
    sub.add_parser("verify-audit", help="check the audit log hash chain").set_defaults(func=_cmd_verify_audit)
    sub.add_parser("rotate-key", help="after HARMONY_SECRET_KEY changed (the old one in HARMONY_OLD_SECRET_KEYS): "
                                      "rewrite stored files and secrets under the new key; resumable"
                   ).set_defaults(func=_cmd_rotate_key)
    _add_maintenance_commands(sub)
    _add_roles_commands(sub)
    sub.add_parser("prune-audit", help="delete audit rows older than HARMONY_AUDIT_RETENTION_DAYS "
                                       "(the chain stays verifiable)").set_defaults(func=_cmd_prune_audit)
    p = sub.add_parser("serve", help="migrate, seed, build the frontend if it changed, and serve")
    p.set_defaults(func=_cmd_serve)
    return parser


def _cmd_serve(_args) -> int:
    return launcher.serve()


# These handle the schema themselves: migrate and serve migrate, backup copies the schema as
# it is, restore brings the backup's.
_OWN_SCHEMA = frozenset({"migrate", "serve", "backup", "restore"})


def _prepare_schema() -> None:
    """Development migrates for every command; production only checks and says what to run.

    In production the schema changes once per deployment (serve or migrate, under a lock),
    never as a side effect of an operator's command while other nodes run older code.
    """
    if get_settings().is_production:
        migrations.require_current()
    else:
        migrations.upgrade()


def database_shown() -> str:
    """The database this process uses, as an operator can check it (never its password)."""
    return make_url(get_settings().sqlalchemy_url).render_as_string(hide_password=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    print(f"database: {database_shown()}", file=sys.stderr)
    try:
        if args.command == "seed-demo":
            demo.refuse_in_production()  # before touching the database at all
        if args.command not in _OWN_SCHEMA:
            _prepare_schema()
        return args.func(args)
    except Invalid as exc:
        return _fail("; ".join(exc.errors.values()))
    except (DomainError, BackupError, migrations.SchemaOutOfDate, ConfigurationError) as exc:
        return _fail(str(exc))


if __name__ == "__main__":
    raise SystemExit(main())
