"""The statements that fill the scale database (``scale_data.fill`` runs them in order).

Layout, so later statements can find earlier rows without looking them up one by one:
users 1..admins are the help desk; user ``admins + 1 + k`` is organization k's first
Security Official (or its Staff, for the 5% of organizations with none: k % 20 = 19);
organization k's id is ``'H' || (100000 + k)``. Everyone after that holds 1-3 roles at
organizations drawn skewed (``floor(orgs * random() ^ 1.5)``: a few large providers, a long
tail of small ones). Every value is a bound parameter; only constant SQL is formatted in.
"""

from __future__ import annotations

from benchmarks.pq_queries import MEDIUM_WORD, RARE_WORD, WORDS
from harmony_portal import routes
from harmony_portal.vocabulary import HELP_DESK, INQUIRY_TYPES, PROVIDER_TYPES

TOWNS = ["Anchorage", "Fairbanks", "Juneau", "Bethel", "Nome", "Kodiak", "Sitka", "Ketchikan", "Kenai", "Palmer",
         "Wasilla", "Soldotna", "Homer", "Valdez", "Kotzebue", "Utqiagvik", "Dillingham", "Cordova", "Seward", "Tok"]
FIRST_NAMES = ["Mary", "John", "Linda", "James", "Susan", "Robert", "Karen", "Michael", "Lisa", "David", "Nancy",
               "William", "Betty", "Richard", "Sandra", "Joseph", "Donna", "Thomas", "Carol", "Charles", "Ruth",
               "Daniel", "Sharon", "Matthew", "Michelle", "Anthony", "Laura", "Mark", "Sarah", "Steven", "Kimberly",
               "Paul", "Deborah", "Andrew", "Jessica", "Joshua", "Shirley", "Kenneth", "Cynthia", "Kevin"]
LAST_NAMES = ["Johnson", "Smith", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
              "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson",
              "Walker", "Young", "Allen", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill",
              "Campbell", "Mitchell", "Roberts", "Carter", "Phillips", "Evans", "Turner", "Torres", "Parker"]
PCS, DDRC, NURSING_HOME, CARE_COORDINATOR = PROVIDER_TYPES
# Kinds of name per provider type; the share of each type among organizations is in _ORGANIZATIONS.
KINDS = {PCS: ["Home Care", "Personal Care Services", "Care Services"],
         DDRC: ["Disability Resources", "Developmental Services"],
         NURSING_HOME: ["Pioneer Home", "Nursing Center", "Long Term Care"],
         CARE_COORDINATOR: ["Care Coordination", "Care Partners", "Case Management"]}
JUSTIFICATIONS = ["Needs access for daily assessments.", "New hire on the care coordination team.",
                  "Taking over billing from a colleague who left.", "Covering the office during leave.",
                  "Annual renewal of my access to Harmony."]
# Audit actions other than a PQ's own (those come from the PQs and notes), most frequent first.
OTHER_ACTIONS = ["auth.signed_in", "session.expired", "auth.logout", "attachment.downloaded", "auth.password_failed",
                 "role.requested", "role.request_approved", "account.profile_updated", "auth.code_failed",
                 "account.device_added", "role.granted", "account.locked", "account.password_changed",
                 "role.removed", "account.unlocked", "account.two_factor_reset"]


def parameters(sizes) -> dict:
    """The bound values every statement may use."""
    return {"users": sizes.users, "orgs": sizes.organizations, "admins": sizes.admins, "pqs": sizes.pqs,
            "pending": sizes.pending_requests, "decided": sizes.decided_requests,
            "notifications": sizes.notifications, "audit_rows": sizes.audit_rows,
            "towns": TOWNS, "firsts": FIRST_NAMES, "lasts": LAST_NAMES, "pcs": KINDS[PCS], "ddrc": KINDS[DDRC],
            "nursing": KINDS[NURSING_HOME], "coordination": KINDS[CARE_COORDINATOR],
            "pcs_type": PCS, "ddrc_type": DDRC, "nursing_type": NURSING_HOME, "coordination_type": CARE_COORDINATOR,
            "justifications": JUSTIFICATIONS, "inquiry": list(INQUIRY_TYPES), "words": WORDS, "rare": RARE_WORD,
            "medium": MEDIUM_WORD, "help_desk": HELP_DESK, "actions": OTHER_ACTIONS,
            "requests_link": routes.ROLE_REQUESTS}


_ORGANIZATIONS = """
INSERT INTO organization (id, name, provider_type, created_at)
SELECT 'H' || (100000 + k),
       (CAST(:towns AS text[]))[1 + k % 20] || ' ' || kinds[1 + (k / 20) % cardinality(kinds)]
       || CASE WHEN k >= 60 THEN ' ' || (k / 60 + 1) ELSE '' END,
       type, now() - (k % 3650) * interval '1 day'
FROM (SELECT k,
             CASE WHEN b < 45 THEN :pcs_type WHEN b < 85 THEN :coordination_type
                  WHEN b < 95 THEN :nursing_type ELSE :ddrc_type END AS type,
             CASE WHEN b < 45 THEN CAST(:pcs AS text[]) WHEN b < 85 THEN CAST(:coordination AS text[])
                  WHEN b < 95 THEN CAST(:nursing AS text[]) ELSE CAST(:ddrc AS text[]) END AS kinds
      FROM (SELECT k, (k * 37) % 100 AS b FROM generate_series(0, :orgs - 1) AS k) AS typed) AS kinded
"""

# Ids are given (1..users), so the grants below can name people by number; the sequence follows.
_USERS = """
INSERT INTO "user" (id, user_id, user_id_key, email, email_key, first_name, middle_name, last_name, phone,
                    address_line1, address_line2, city, state, zip_code, zip_extension, country, challenge_question,
                    challenge_answer_hash, password_hash, password_changed_at, is_admin, is_demo, is_active,
                    failed_password_count, failed_code_count, created_at)
SELECT g, handle, lower(handle), handle || '@example.org', lower(handle) || '@example.org', first, '', last,
       '907-555-' || lpad((g % 10000)::text, 4, '0'), g || ' Main Street', '', town, 'AK',
       '99' || lpad((500 + g % 450)::text, 3, '0'), '', 'USA', '', '', 'x', created, g <= :admins, false,
       g <= :admins OR g % 50 <> 7, 0, 0, created
FROM (SELECT g, first, last, town, created,
             CASE WHEN g <= :admins THEN 'helpdesk' || g ELSE lower(first) || '.' || lower(last) || g END AS handle
      FROM (SELECT g, (CAST(:firsts AS text[]))[1 + g % 40] AS first,
                   (CAST(:lasts AS text[]))[1 + (g / 40) % 40] AS last,
                   (CAST(:towns AS text[]))[1 + g % 20] AS town, now() - (g % 1095) * interval '1 day' AS created
            FROM generate_series(1, :users) AS g) AS named) AS handled
"""

_OFFICIALS = """
INSERT INTO orgrole (user_id, organization_id, role, granted_by_id, granted_at)
SELECT :admins + 1 + k, 'H' || (100000 + k), CASE WHEN k % 20 = 19 THEN 'Staff' ELSE 'Security Official' END,
       1 + k % :admins, now() - (k % 1000) * interval '1 day'
FROM generate_series(0, :orgs - 1) AS k
"""

# Everyone else: 1-3 roles (1 + u % 3), each at an organization drawn skewed; no Security
# Official where organizations have none (k % 20 = 19). A repeat of a held role is skipped.
_GRANTS = """
INSERT INTO orgrole (user_id, organization_id, role, granted_by_id, granted_at)
SELECT u, 'H' || (100000 + org),
       CASE WHEN org % 20 = 19 AND r >= 0.95 THEN 'Staff'
            WHEN r < 0.55 THEN 'Staff' WHEN r < 0.75 THEN 'Assessment Coordinator'
            WHEN r < 0.85 THEN 'Access Coordinator' WHEN r < 0.95 THEN 'Provider Security Admin'
            ELSE 'Security Official' END,
       1 + u % :admins, now() - random() * interval '1000 days'
FROM (SELECT u, floor(:orgs * random() ^ 1.5)::int AS org, random() AS r
      FROM generate_series(:admins + :orgs + 1, :users) AS u, generate_series(1, 1 + u % 3) AS j) AS drawn
ON CONFLICT DO NOTHING
"""

# Who may file a PQ for an organization: its members, as one array per organization.
_MEMBERS = """
CREATE TABLE scale_members AS
SELECT organization_id AS org, array_agg(user_id ORDER BY user_id) AS ids FROM orgrole GROUP BY organization_id
"""

_REQUESTS = """
INSERT INTO rolerequest (user_id, organization_id, role, justification, status, decided_by_id, decided_at, reason,
                         created_at)
SELECT u, 'H' || (100000 + org), role, (CAST(:justifications AS text[]))[1 + g % 5], status,
       CASE WHEN status IN ('approved', 'rejected') THEN
            CASE WHEN org % 20 = 19 THEN 1 + org % :admins ELSE :admins + 1 + org END END,
       CASE WHEN status <> 'pending' THEN created + random() * interval '3 days' END,
       CASE WHEN status = 'rejected' THEN 'Not on our staff list.' ELSE '' END, created
FROM (SELECT g, :admins + :orgs + 1 + floor(random() * (:users - :admins - :orgs))::int AS u,
             floor(:orgs * random() ^ 1.5)::int AS org,
             (ARRAY['Staff', 'Assessment Coordinator', 'Access Coordinator', 'Provider Security Admin',
                    'Security Official'])[1 + floor(5 * random() ^ 2)::int] AS role,
             CASE WHEN g <= :pending THEN 'pending' WHEN g % 10 < 7 THEN 'approved'
                  WHEN g % 10 < 9 THEN 'rejected' ELSE 'cancelled' END AS status,
             CASE WHEN g <= :pending THEN now() - random() * interval '30 days'
                  ELSE now() - interval '30 days' - random() * interval '1000 days' END AS created
      FROM generate_series(1, :pending + :decided) AS g ORDER BY created) AS drawn
"""

# A third of the people waiting have an onboarding checklist started (the queue shows it).
_CHECKLISTS = """
INSERT INTO onboardingchecklist (user_id, identity_account_at, security_agreement_at, training_at, override_reason,
                                 updated_by_id, updated_at)
SELECT DISTINCT user_id, now() - interval '3 days',
       CASE WHEN user_id % 2 = 0 THEN now() - interval '2 days' END, NULL::timestamptz, '', 1,
       now() - interval '2 days'
FROM rolerequest WHERE status = 'pending' AND user_id % 3 = 0
"""

# Word i is drawn with weight ~ 1/sqrt(i), as in benchmarks/pq_queries.py (a few words in most
# PQs); the correlated bound makes PostgreSQL draw afresh for every row.
_WORDS_OF = ("(SELECT string_agg((CAST(:words AS text[]))[1 + floor(cardinality(CAST(:words AS text[])) "
             "* random() ^ 2)::int], ' ') FROM generate_series(1, {count}))")
# Born in time order (so ids follow time) at organizations drawn skewed (floor(orgs * random()^2):
# the largest provider files about 1% of all PQs), by one of the organization's members.
_PQS = f"""
INSERT INTO pq (organization_id, provider_name, inquiry_type, subject, details, status, assigned_resource,
                created_by_id, created_at, updated_at, first_response_due_at, first_response_at, taken_by_id)
SELECT org_id, org_name, (CAST(:inquiry AS text[]))[1 + g % 5],
       initcap({_WORDS_OF.format(count="3 + g % 5")}),
       {_WORDS_OF.format(count="15 + g % 30")} || CASE WHEN g % 9973 = 0 THEN ' ' || :rare ELSE '' END
       || CASE WHEN g % 199 = 0 THEN ' ' || :medium ELSE '' END,
       status, :help_desk, author, created, created, created + interval '2 days',
       CASE WHEN status = 'Pending' THEN NULL ELSE created + random() * interval '3 days' END,
       CASE WHEN status = 'Pending' THEN NULL ELSE 1 + g % :admins END
FROM (SELECT g, o.id AS org_id, o.name AS org_name, m.ids[1 + floor(random() * cardinality(m.ids))::int] AS author,
             created,
             CASE WHEN random() < CASE WHEN created > now() - interval '30 days' THEN 0.4 ELSE 0.005 END
                  THEN CASE WHEN random() < 0.5 THEN 'Pending' ELSE 'In Progress' END
                  ELSE CASE WHEN random() < 0.3 THEN 'Resolved' ELSE 'Closed' END END AS status
      FROM (SELECT g, 'H' || (100000 + floor(:orgs * random() ^ 2)::int) AS org,
                   now() - random() * interval '730 days' AS created
            FROM generate_series(1, :pqs) AS g) AS born
      JOIN organization o ON o.id = born.org JOIN scale_members m ON m.org = born.org
      ORDER BY created) AS aged
"""  # noqa: S608

# 0-4 notes a PQ (id % 5): the provider writes the odd ones, the help desk answers (a fifth of
# its notes Internal).
_NOTES = """
INSERT INTO pqnote (pq_id, note_type, status, text, author_id, created_at)
SELECT p.id,
       CASE WHEN n % 2 = 1 THEN 'General' WHEN (p.id + n) % 5 = 0 THEN 'Internal' ELSE 'Response' END,
       CASE WHEN n = p.id % 5 THEN p.status ELSE 'In Progress' END,
       'Following up on this question: ' || md5(p.id || '-' || n) || ' ' || md5(n || '-' || p.id),
       CASE WHEN n % 2 = 1 THEN p.created_by_id ELSE 1 + (p.id + n) % :admins END,
       p.created_at + n * interval '7 hours'
FROM pq p, generate_series(1, p.id % 5) AS n
"""

_ATTACHMENTS = """
INSERT INTO attachment (pq_id, note_id, filename, content_type, size, sha256, pages, storage_key, uploaded_by_id,
                        created_at)
SELECT pq_id, id, 'scan-' || id || '.pdf', 'application/pdf', 50000 + (id::bigint * 7919) % 5000000,
       md5(id::text) || md5((id + 1)::text), 1 + id % 12, 'scale-' || md5('k' || id), author_id, created_at
FROM pqnote WHERE id % 10 = 0
"""

# A PQ's own rows (filed, each note: what its History shows) and the rest of six years' log
# (sign-ins, sessions, roles...: an actor drawn skewed, a subject on most, an organization on
# 40%), in time order so ids follow time as in a real log. Hashes are random: no valid chain.
_AUDIT = """
INSERT INTO auditevent (at, action, actor_id, subject_user_id, organization_id, target, ip, detail, prev_hash, hash)
SELECT at, action, actor_id, subject_user_id, organization_id, target,
       '10.' || (actor_id % 250) || '.' || (length(target) * 7 % 199) || '.7', detail,
       md5(random()::text) || md5(random()::text), md5(random()::text) || md5(random()::text)
FROM (SELECT created_at AS at, 'pq.created' AS action, created_by_id AS actor_id, NULL::int AS subject_user_id,
             organization_id, 'pq:' || id AS target, '{"inquiry_type": "' || inquiry_type || '"}' AS detail
      FROM pq
      UNION ALL
      SELECT n.created_at, 'pq.note_added', n.author_id, NULL, p.organization_id, 'pq:' || n.pq_id,
             '{"note_id": ' || n.id || ', "note_type": "' || n.note_type || '", "status": "' || n.status || '"}'
      FROM pqnote n JOIN pq p ON p.id = n.pq_id
      UNION ALL
      SELECT at, action, actor, CASE WHEN random() < 0.75 THEN actor END,
             CASE WHEN random() < 0.4 THEN 'H' || (100000 + floor(:orgs * random() ^ 1.5)::int) END,
             CASE WHEN action LIKE 'role.%' THEN 'request:' || (g % 50000) ELSE '' END, '{}'
      FROM (SELECT g, (CAST(:actions AS text[]))[1 + floor(cardinality(CAST(:actions AS text[])) * random() ^ 3)::int]
                       AS action,
                   1 + floor(:users * random() ^ 2)::int AS actor, now() - random() * interval '2190 days' AS at
            FROM generate_series(1, greatest(0, :audit_rows - (SELECT count(*) FROM pq)
                                                           - (SELECT count(*) FROM pqnote))) AS g) AS drawn
      ORDER BY at) AS logged
"""

_NOTIFICATIONS = """
INSERT INTO notification (user_id, category, title, body, link, created_at, read_at)
SELECT u, CASE WHEN u <= :admins + :orgs THEN 'role_requests' ELSE 'pq_updates' END,
       CASE WHEN u <= :admins + :orgs THEN 'Role request waiting: Staff at organization ' || (g % 997)
            ELSE 'PQ ' || (1 + g % greatest(:pqs, 1)) || ' has a new note' END,
       'Someone asked for a role, or answered a question: ' || md5(g::text),
       CASE WHEN u <= :admins + :orgs THEN :requests_link ELSE '/pq/' || (1 + g % greatest(:pqs, 1)) END,
       created, CASE WHEN random() < 0.85 THEN created + random() * interval '2 days' END
FROM (SELECT g, 1 + floor(:users * random() ^ 2)::int AS u, now() - random() * interval '365 days' AS created
      FROM generate_series(1, :notifications) AS g ORDER BY created) AS drawn
"""

STEPS: tuple[tuple[str, str], ...] = (
    ("organizations", _ORGANIZATIONS),
    ("users", _USERS),
    ("user_ids", "SELECT setval(pg_get_serial_sequence('\"user\"', 'id'), :users)"),
    ("officials", _OFFICIALS),
    ("grants", _GRANTS),
    ("members", _MEMBERS),
    ("role_requests", _REQUESTS),
    ("checklists", _CHECKLISTS),
    ("pqs", _PQS),
    ("notes", _NOTES),
    ("attachments", _ATTACHMENTS),
    ("audit", _AUDIT),
    ("notifications", _NOTIFICATIONS),
    ("drop_members", "DROP TABLE scale_members"),
)
