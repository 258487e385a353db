"""Administration > Access reviews: Start review, and each review's progress, who never opened it, its CSV."""

import reflex as rx

from harmony_portal import routes
from harmony_portal.components import messages, select_field, submit_button, text_field
from harmony_portal.components.links import file_link
from harmony_portal.components.table import data_table
from harmony_portal.state.admin_reviews import AdminReviewsState as S
from harmony_portal.vocabulary import REVIEW_OUTCOMES


def _start_form() -> rx.Component:
    return rx.el.form(
        rx.el.div(
            select_field("Organization", "organization", S.organization_choices, required=True,
                         error=S.errors.get("organization", ""), default_value=S.values.get("organization", "")),
            text_field("Due date", "due_on", type="date", required=True, error=S.errors.get("due_on", ""),
                       default_value=S.values.get("due_on", ""), hint="The last day to decide (Alaska time)."),
            select_field("If not reviewed by the due date", "if_not_reviewed", list(REVIEW_OUTCOMES), required=True,
                         error=S.errors.get("if_not_reviewed", ""), default_value=S.values.get("if_not_reviewed", "")),
            text_field("Repeat every (days)", "repeat_days", input_mode="numeric",
                       error=S.errors.get("repeat_days", ""), default_value=S.values.get("repeat_days", ""),
                       hint="Optional, for example 90: the next review starts when this one ends."),
            class_name="grid-2",
        ),
        rx.el.div(submit_button("Start review"), class_name="actions"),
        on_submit=S.start_review,
        key=S.form_key,
    )


def _progress(r) -> rx.Component:
    """"N of M reviewed", opening to each organization with rows left."""
    return rx.cond(r["organizations"] != "", rx.el.details(
        rx.el.summary(r["progress"]),
        rx.el.ul(rx.foreach(r["organizations"].to(str).split("\n"), lambda line: rx.el.li(line))),
    ), rx.el.span(r["progress"]))


def reviews_section() -> rx.Component:
    return rx.el.section(
        rx.el.h2("Access reviews"),
        messages(S.review_error, S.review_message),
        _start_form(),
        data_table("Access reviews", ["Reviewing", "Due", "Progress", "If not reviewed", "Status",
                                      "Organizations that never opened it", "Export"], S.reviews,
                   lambda r: [r["scope"], r["due"], _progress(r), r["setting"], r["status"], r["never_opened"],
                              file_link(rx.el.span("CSV"), rx.el.span(" of review " + r["id"].to(str),
                                                                      class_name="visually-hidden"),
                                        href=routes.review_export_url(r["id"]))],
                   empty="No review yet."),
        class_name="card",
    )
