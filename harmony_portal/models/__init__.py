"""All tables, re-exported so ``from harmony_portal.models import User`` works."""

from harmony_portal.models._base import utc_now
from harmony_portal.models.accounts import (
    EmailChange,
    EnrolmentCode,
    OnboardingChecklist,
    PasswordReset,
    RecoveryCode,
    SessionHandoff,
    TotpDevice,
    User,
    UserSession,
)
from harmony_portal.models.audit import AuditEvent
from harmony_portal.models.maintenance import Announcement, MaintenanceWindow
from harmony_portal.models.organizations import Organization
from harmony_portal.models.outbox import OutboxEmail
from harmony_portal.models.pq import PQ, Attachment, Draft, InquiryRoute, PQNote
from harmony_portal.models.roles import OrgRole, RoleRequest

__all__ = [
    "PQ",
    "Announcement",
    "Attachment",
    "AuditEvent",
    "Draft",
    "EmailChange",
    "EnrolmentCode",
    "InquiryRoute",
    "MaintenanceWindow",
    "OnboardingChecklist",
    "OrgRole",
    "Organization",
    "OutboxEmail",
    "PQNote",
    "PasswordReset",
    "RecoveryCode",
    "RoleRequest",
    "TotpDevice",
    "User",
    "SessionHandoff",
    "UserSession",
    "utc_now",
]
