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
from harmony_portal.models.maintenance import Announcement, AnnouncementDismissal, MaintenanceWindow, WeeklyMaintenance
from harmony_portal.models.notifications import EmailPreference, Notification
from harmony_portal.models.organizations import Organization
from harmony_portal.models.outbox import OutboxEmail
from harmony_portal.models.passkeys import Passkey, PasskeyChallenge, PortalPolicy
from harmony_portal.models.pq import PQ, Attachment, Draft, InquiryRoute, PQNote
from harmony_portal.models.reviews import AccessReview, ReviewItem, ReviewOrganization
from harmony_portal.models.roles import OrgRole, RoleRequest, RoleTerm
from harmony_portal.models.signing import FormSigner, ScheduledJob, SigningForm

__all__ = [
    "PQ",
    "AccessReview",
    "Announcement",
    "AnnouncementDismissal",
    "Attachment",
    "AuditEvent",
    "Draft",
    "EmailChange",
    "EmailPreference",
    "EnrolmentCode",
    "FormSigner",
    "InquiryRoute",
    "MaintenanceWindow",
    "WeeklyMaintenance",
    "Notification",
    "OnboardingChecklist",
    "OrgRole",
    "Organization",
    "OutboxEmail",
    "PQNote",
    "Passkey",
    "PasskeyChallenge",
    "PasswordReset",
    "PortalPolicy",
    "RecoveryCode",
    "ReviewItem",
    "ReviewOrganization",
    "RoleRequest",
    "RoleTerm",
    "ScheduledJob",
    "TotpDevice",
    "User",
    "SessionHandoff",
    "SigningForm",
    "UserSession",
    "utc_now",
]
