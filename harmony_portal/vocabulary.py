"""The words of the portal (ui-contract "Vocabulary"), in one place."""

PROVIDER_TYPES = (
    "Personal Care Services (PCS) Agency",
    "Developmental Disability Resource Center (DDRC)",
    "Nursing Home",
    "Care Coordinator",
)

SECURITY_OFFICIAL = "Security Official"
ACCESS_COORDINATOR = "Access Coordinator"
STAFF = "Staff"
ORGANIZATION_ROLES = (
    SECURITY_OFFICIAL,
    ACCESS_COORDINATOR,
    "Assessment Coordinator",
    "Provider Security Admin",
    STAFF,
)

# A role request's status (RoleRequest.status): pending until decided or withdrawn.
PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"
CANCELLED = "cancelled"
REQUEST_EXPIRED = "expired"  # nobody decided it in time (HARMONY_REQUEST_EXPIRY_DAYS)
REQUEST_STATUSES = (PENDING, APPROVED, REJECTED, CANCELLED, REQUEST_EXPIRED)
# "If not reviewed by the due date" (access reviews): what happens to the rows nobody decided.
REVIEW_OUTCOMES = ("Keep access", "End access")

HELP_DESK = "Harmony Help Desk"
ACCESS_REQUEST = "Access Request"  # the inquiry type that goes to the help desk by itself
INQUIRY_TYPES = (ACCESS_REQUEST, "General Question", "Billing", "Technical Issue", "Certification")
PQ_STATUSES = ("Pending", "In Progress", "Resolved", "Closed")
PQ_NOTE_TYPES = ("Access Request", "General", "Response", "Internal")

# An Access Request form signed in the portal (SigningForm.status, FormSigner.role and .state).
SIGNING, SIGNED, DECLINED, WITHDRAWN, EXPIRED, VOID = "signing", "signed", "declined", "withdrawn", "expired", "void"
SIGNER_ROLES = (("requester", "Requester"), ("supervisor", "Direct supervisor"),
                ("agency_signer", "Agency authorized signer"))
WAITING, ASKED = "waiting", "asked"

CHALLENGE_QUESTIONS = (
    "What was the name of your first pet?",
    "What city were you born in?",
    "What was the make of your first car?",
    "What is your mother's maiden name?",
    "What was the name of your elementary school?",
)

HELP_DESK_EMAIL = "DSDSHarmonyHelp@alaska.gov"
CARE_COORDINATION_EMAIL = "carecoordinationsupport@alaska.gov"
HELP_BOX_HOURS = "7:00am to 5:30pm, Monday through Friday, except Alaska state holidays"
# The SDS Training page, where people sign up for the Introduction to Harmony training.
TRAINING_URL = "https://health.alaska.gov/dsds/Pages/training/default.aspx"
