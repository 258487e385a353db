"""/: Home - notifications, notices, my roles, my role requests, my onboarding checklist, my PQs."""

import reflex as rx

from harmony_portal import routes
from harmony_portal.components import message, messages, submit_button, text_field
from harmony_portal.components.dialog import dialog, dismiss_button
from harmony_portal.components.table import data_table
from harmony_portal.layouts import protected_page
from harmony_portal.pages.notifications import notifications_section
from harmony_portal.state.home import HomeState


def _request_row(r) -> rx.Component:
    return rx.el.tr(
        rx.el.td(r["organization_name"]), rx.el.td(r["role"]), rx.el.td(r["requested"]),
        rx.el.td(rx.el.span(r["status"], class_name="status-pill"),
                 rx.cond(r["reason"] != "", rx.el.div("Reason: ", r["reason"]))),
        rx.el.td(
            rx.cond(r["pending"], rx.el.button("Cancel", type="button", class_name="btn",
                                              aria_label="Cancel request for " + r["role"].to(str),
                                              on_click=HomeState.cancel_request(r["id"]))),
            rx.cond(r["rejected"], rx.el.a("Resubmit", href="/roles/request?resubmit=" + r["id"].to(str))),
        ),
    )


def _ends_on(r) -> rx.Component:
    """The last day, and "Ask for more time" in the role's last 14 days."""
    return rx.fragment(
        r["ends_on"],
        rx.cond(r["more_time"] != "", rx.el.div(rx.el.button(
            "Ask for more time", type="button", class_name="btn",
            aria_label="Ask for more time: " + r["role"].to(str) + " at " + r["organization_name"].to(str),
            on_click=HomeState.open_more_time(r["id"])))),
    )


def _more_time_dialog() -> rx.Component:
    errors = HomeState.more_time_errors
    return dialog(HomeState.more_time_id != "", "Ask for more time", "more-time",
                  rx.el.p("Your organization's Security Officials decide it, as a role request."),
                  message(errors.get("more_time", "")),
                  rx.el.form(
                      text_field("Access ends on", "ends_on", type="date", required=True,
                                 default_value=HomeState.more_time_values.get("ends_on", ""),
                                 error=errors.get("ends_on", ""), hint="The last day you need the role."),
                      text_field("Justification", "justification", required=True, multiline=True,
                                 default_value=HomeState.more_time_values.get("justification", ""),
                                 error=errors.get("justification", "")),
                      rx.el.div(submit_button("Ask"), dismiss_button("Cancel", HomeState.close_more_time),
                                class_name="actions"),
                      on_submit=HomeState.ask_more_time))


def home_page() -> rx.Component:
    return protected_page(
        rx.el.h1("Welcome, ", HomeState.display_name),
        messages(HomeState.error, HomeState.message),
        notifications_section(),
        rx.cond(HomeState.forms_to_sign.length() > 0, _forms_to_sign()),
        rx.el.section(
            rx.el.h2("My roles"),
            data_table("My roles", ["Organization", "Role", "Granted", "Access ends on"], HomeState.my_roles,
                       lambda r: [r["organization_name"], r["role"], r["granted"], _ends_on(r)],
                       empty="You have no roles yet."),
            _more_time_dialog(),
            rx.el.p(rx.el.a("Request a role", href=routes.ROLE_REQUEST)),
            class_name="card",
        ),
        rx.el.section(
            rx.el.h2("My role requests"),
            data_table("My role requests", ["Organization", "Role", "Requested", "Status", "Actions"],
                       HomeState.my_requests, cells=None, row=_request_row,
                       empty="You have not requested any roles."),
            class_name="card",
        ),
        rx.cond(HomeState.checklist.length() > 0, _checklist_section()),
        rx.el.section(
            rx.el.h2("My PQs"),
            data_table("My PQs", ["PQ", "Subject", "Inquiry Type", "Status", "Last updated"], HomeState.my_pqs,
                       lambda r: [rx.el.a("PQ " + r["id"].to(str), href=routes.pq_url(r["id"])), r["subject"],
                                  r["inquiry_type"], rx.el.span(r["status"], class_name="status-pill"),
                                  r["updated"]], empty="You have not filed any PQs."),
            rx.el.p(rx.el.a("All PQs", href=routes.PQ_LIST)),
            class_name="card",
        ),
    )


def _forms_to_sign() -> rx.Component:
    """Access Request forms whose next signature is this person's: each links to its PQ."""
    return rx.el.section(
        rx.el.h2("Forms to sign"),
        rx.el.ul(rx.foreach(HomeState.forms_to_sign, lambda f: rx.el.li(
            rx.el.a(f["label"], href=f["link"]), ", ", f["provider"], ": your signature as ", f["role"],
            ", asked ", f["asked"]))),
        class_name="card", aria_label="Forms to sign",
    )


def _checklist_section() -> rx.Component:
    """A staff member's own onboarding steps: what their access waits for, and who marks them."""
    return rx.el.section(
        rx.el.h2("My onboarding checklist"),
        rx.el.p(HomeState.checklist_summary, ". Your role is approved once every step is done; the Harmony "
                "Help Desk or your Access Coordinator marks each step when you have done it."),
        rx.el.ul(rx.foreach(HomeState.checklist, lambda step: rx.el.li(
            step["label"], ": ", rx.cond(step["done"] != "", "done " + step["done"].to(str), "not yet")))),
        rx.cond(HomeState.checklist_override != "",
                rx.el.p("Overridden by an administrator: ", HomeState.checklist_override)),
        class_name="card", aria_label="My onboarding checklist",
    )
