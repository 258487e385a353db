"""/security-official/reviews: Access Reviews, live, with checkboxes, Select recommended, Keep and Remove."""

import reflex as rx

from harmony_portal.components.dialog import confirm_form, dialog
from harmony_portal.components.forms import messages, text_field
from harmony_portal.components.table import data_table
from harmony_portal.layouts import official_page
from harmony_portal.live.reviews import ReviewFeed
from harmony_portal.state.access_reviews import AccessReviewsState as S


def _row(row) -> rx.Component:
    return rx.el.tr(
        # Uncontrolled, so a click shows at once; remounted when the server replaces the selection.
        rx.el.td(rx.el.input(type="checkbox", aria_label="Select " + row["name"].to(str) + ", " + row["role"].to(str)
                             + " at " + row["organization"].to(str),
                             default_checked=S.selected.contains(row["id"]),
                             key=row["id"].to(str) + "-" + S.selection_epoch.to(str),
                             on_change=lambda checked: S.toggle(row["id"], checked))),
        rx.el.td(row["name"]), rx.el.td(row["organization_name"]), rx.el.td(row["role"]), rx.el.td(row["granted"]),
        rx.el.td(row["last_sign_in"]), rx.el.td(row["recommendation"]), rx.el.td(row["due"]),
        key=row["id"],
    )


def _select_all() -> rx.Component:
    return rx.el.input(type="checkbox", aria_label="Select all", default_checked=S.all_selected,
                       key=S.selection_epoch, disabled=ReviewFeed.rows.length() == 0, on_change=S.toggle_all)


def _remove_dialog() -> rx.Component:
    return dialog(S.remove_open, "Remove access", "remove-access",
                  rx.el.p("Each selected role ends at once, and its holder is told why."),
                  confirm_form(S.remove, "Remove", S.close_remove,
                               text_field("Removal reason", "removal_reason", required=True, multiline=True,
                                          error=S.remove_error, auto_focus=True)))


def access_reviews_page() -> rx.Component:
    return official_page(
        "Access Reviews",
        rx.el.p("Keep or remove each role held at your organizations. Your own roles are reviewed by another "
                "official or the help desk. Decisions show on every official's screen at once."),
        messages(S.error, S.message),
        rx.el.p(rx.cond(ReviewFeed.total > ReviewFeed.rows.length(),
                        ReviewFeed.total.to(str) + " rows to review; the first " + ReviewFeed.rows.length().to(str)
                        + " are shown, and decided rows give their places to the next ones.",
                        ReviewFeed.rows.length().to(str) + rx.cond(ReviewFeed.rows.length() == 1, " row", " rows")
                        + " to review"),
                role="status", aria_live="polite"),
        data_table("Roles to review", [_select_all(), "Name", "Organization", "Role", "Granted", "Last sign-in",
                                       "Recommendation", "Due"], ReviewFeed.rows, cells=None, row=_row),
        rx.cond(ReviewFeed.rows.length() == 0, rx.el.p("There is nothing to review.")),
        rx.cond(~S.remove_open, rx.el.div(
            rx.el.button("Select recommended", type="button", class_name="btn", on_click=S.select_recommended),
            rx.el.button("Keep", type="button", class_name="btn btn-primary", on_click=S.keep),
            rx.el.button("Remove", type="button", class_name="btn btn-danger", on_click=S.open_remove),
            class_name="actions",
        )),
        _remove_dialog(),
    )
