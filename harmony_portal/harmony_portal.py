"""The app: pages wired to routes. Nothing else lives here."""

import reflex as rx

from harmony_portal import routes
from harmony_portal.live import (
    banner,
    dispatch,  # noqa: F401 - subscribes the live pushes to committed changes
    pq_pages,
    scheduler,
    tabs,
)
from harmony_portal.pages.access_reviews import access_reviews_page
from harmony_portal.pages.admin import admin_page
from harmony_portal.pages.confirm_email import confirm_email_page
from harmony_portal.pages.forgot import forgot_page
from harmony_portal.pages.help import help_page
from harmony_portal.pages.help_desk import help_desk_page
from harmony_portal.pages.home import home_page
from harmony_portal.pages.login import login_page
from harmony_portal.pages.passkeys import passkey_offer_page, passkey_required_page
from harmony_portal.pages.pq_detail import pq_detail_page
from harmony_portal.pages.pq_list import pq_list_page
from harmony_portal.pages.pq_new import pq_new_page
from harmony_portal.pages.profile import profile_page
from harmony_portal.pages.report_of_harm import report_of_harm_page
from harmony_portal.pages.role_request import role_request_page
from harmony_portal.pages.role_requests import role_requests_page
from harmony_portal.pages.security_official import security_official_page
from harmony_portal.pages.signup import signup_page
from harmony_portal.pages.terms import terms_page
from harmony_portal.pages.two_factor import two_factor_setup_page
from harmony_portal.pages.user_lookup import user_lookup_page
from harmony_portal.pages.user_roles import user_roles_page
from harmony_portal.server import job_runner, mailer, migrations, outages, shutdown, web
from harmony_portal.server.event_log import EventLogContext
from harmony_portal.server.proxy import honour_forwarded_proto
from harmony_portal.server.security_headers import add_security_headers
from harmony_portal.state import page_open
from harmony_portal.state.access_reviews import AccessReviewsState
from harmony_portal.state.admin import AdminState
from harmony_portal.state.admin_audit import AdminAuditState
from harmony_portal.state.admin_maintenance import AdminMaintenanceState
from harmony_portal.state.admin_outbox import AdminOutboxState
from harmony_portal.state.admin_reviews import AdminReviewsState
from harmony_portal.state.admin_users import AdminUsersState
from harmony_portal.state.base import AuthState
from harmony_portal.state.email_confirm import EmailConfirmState
from harmony_portal.state.forgot import ForgotState
from harmony_portal.state.help import HelpState
from harmony_portal.state.help_desk import HelpDeskState
from harmony_portal.state.home import HomeState
from harmony_portal.state.login import LoginState
from harmony_portal.state.notifications import NotificationsState
from harmony_portal.state.passkey_add import PasskeyAddState
from harmony_portal.state.pq_detail import PQDetailState
from harmony_portal.state.pq_list import PQListState
from harmony_portal.state.pq_new import PQNewState
from harmony_portal.state.pq_onboarding import PQOnboardingState
from harmony_portal.state.pq_signing import PQSigningState
from harmony_portal.state.profile import ProfileState
from harmony_portal.state.profile_passkeys import ProfilePasskeysState
from harmony_portal.state.role_request import RoleRequestState
from harmony_portal.state.role_requests import RoleRequestsState
from harmony_portal.state.shell import ShellState
from harmony_portal.state.signup import SignUpState
from harmony_portal.state.two_factor import TwoFactorSetupState
from harmony_portal.state.user_lookup import UserLookupState
from harmony_portal.state.user_roles import UserRolesState

app = rx.App(stylesheets=["/portal.css"],
             # dialogs.js: Escape closes a dialog, focus returns to its opener and moves to a new page's heading.
             # keep_typing.js: what is typed into a form survives the server going away mid-typing.
             # passkeys.js: the browser's WebAuthn calls (navigator.credentials) for adding and using passkeys.
             head_components=[rx.el.meta(name="color-scheme", content="light"), rx.script(src="/dialogs.js"),
                              rx.script(src="/keep_typing.js"), rx.script(src="/passkeys.js")],
             # Our HTTP routes first (the session cookie), then the websocket gate around everything.
             api_transformer=[web.http_routes(), web.guard_event_socket, add_security_headers,
                              honour_forwarded_proto],
             backend_exception_handler=outages.on_backend_error)
# First, so every event's log lines carry its id, whatever other middleware decides.
app.add_middleware(EventLogContext(), index=0)
app.register_lifespan_task(migrations.check_schema_at_start)  # before anything reads a table
app.register_lifespan_task(shutdown.drain_events_on_shutdown)
app.register_lifespan_task(scheduler.bind_loop)
app.register_lifespan_task(mailer.run_sender)
app.register_lifespan_task(job_runner.run_jobs)
app.register_lifespan_task(banner.run_clock)
app.register_lifespan_task(pq_pages.run)
app.register_lifespan_task(tabs.run)


def _add(component, route: str, title: str, *on_load, protected: bool = True) -> None:
    # One on-load event per page (page_open.py). The sign-in check comes first: the shell and
    # the notification feed load only once it has established who this is.
    guards = [AuthState.require_login, NotificationsState.link] if protected else []
    app.add_page(component, route=route, title=f"{title} | Harmony Portal",
                 on_load=page_open.on_open(route, *guards, ShellState.load, *on_load))


_add(login_page, routes.LOGIN, "Login", LoginState.load, protected=False)
_add(signup_page, routes.SIGNUP, "Sign Up", SignUpState.load, protected=False)
_add(forgot_page, routes.FORGOT, "Having trouble logging in?", ForgotState.load, protected=False)
_add(help_page, routes.HELP, "Help", HelpState.load, protected=False)
_add(terms_page, routes.TERMS, "Terms & Conditions", protected=False)
_add(report_of_harm_page, routes.REPORT_OF_HARM, "Report of harm during maintenance", protected=False)
_add(two_factor_setup_page, routes.TWO_FACTOR_SETUP, "Set up two-factor sign-in", TwoFactorSetupState.load)
_add(home_page, routes.HOME, "Home", HomeState.load)
_add(profile_page, routes.PROFILE, "User Profile", ProfileState.load, ProfilePasskeysState.load,
     PasskeyAddState.close_dialog)
_add(passkey_offer_page, routes.PASSKEY_PROMPT, "Add a passkey?", PasskeyAddState.load)
_add(passkey_required_page, routes.PASSKEY_REQUIRED, "Add a passkey to continue", PasskeyAddState.load)
_add(confirm_email_page, routes.CONFIRM_EMAIL, "Confirm your new email address", EmailConfirmState.load,
     protected=False)
_add(role_request_page, routes.ROLE_REQUEST, "Request a role", RoleRequestState.load)
_add(security_official_page, routes.SECURITY_OFFICIAL, "Security Official")
_add(role_requests_page, routes.ROLE_REQUESTS, "Role Requests", RoleRequestsState.load)
_add(access_reviews_page, routes.ACCESS_REVIEWS, "Access Reviews", AccessReviewsState.load)
_add(user_lookup_page, routes.USER_LOOKUP, "User Lookup", UserLookupState.load)
_add(user_roles_page, routes.USER_ROLES, "User Roles", UserRolesState.load)
_add(admin_page, routes.ADMIN, "Administration", AdminState.load, AdminMaintenanceState.load,
     AdminUsersState.load, AdminAuditState.load, AdminOutboxState.load, AdminReviewsState.load)
_add(pq_list_page, routes.PQ_LIST, "PQ chapter", PQListState.load)
_add(pq_new_page, routes.PQ_NEW, "Add PQ", PQNewState.load)
_add(pq_detail_page, routes.PQ_DETAIL, "PQ", PQDetailState.load, PQOnboardingState.load_onboarding,
     PQSigningState.load_signing)
_add(help_desk_page, routes.HELP_DESK, "Help Desk queue", HelpDeskState.load)
