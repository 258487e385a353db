"""/help-desk: the Help Desk queue, by first-response due time, with the weekly figures above it."""

import reflex as rx

from harmony_portal import routes
from harmony_portal.components.forms import field_label, message, messages
from harmony_portal.components.table import data_table, hidden_header
from harmony_portal.layouts import protected_page
from harmony_portal.live.help_desk import HelpDeskFeed
from harmony_portal.state.help_desk import HelpDeskState
from harmony_portal.vocabulary import INQUIRY_TYPES, PQ_STATUSES

__all__ = ["help_desk_page"]

# Dark enough for text on white (the legend writes each series' name in its colour).
_OPENED, _ANSWERED, _ON_TIME = "#0b3d66", "#00703c", "#6b2c91"
_AXIS, _GRID = "#565c65", "#d0d5d9"


def _weekly_chart() -> rx.Component:
    chart = rx.recharts.composed_chart(
        rx.recharts.cartesian_grid(stroke_dasharray="3 3", stroke=_GRID),
        rx.recharts.x_axis(data_key="week", stroke=_AXIS),
        rx.recharts.y_axis(y_axis_id="count", allow_decimals=False, stroke=_AXIS),
        rx.recharts.y_axis(y_axis_id="share", orientation="right", unit="%", domain=[0, 100],
                          stroke=_AXIS),
        rx.recharts.bar(data_key="opened", name="Opened", fill=_OPENED, y_axis_id="count", is_animation_active=False),
        rx.recharts.bar(data_key="answered", name="Answered", fill=_ANSWERED, y_axis_id="count",
                        is_animation_active=False),
        rx.recharts.line(data_key="on_time", name="Answered within 24 business hours (%)", stroke=_ON_TIME,
                         y_axis_id="share", unit="%", connect_nulls=False, is_animation_active=False),
        rx.recharts.legend(),
        data=HelpDeskFeed.weeks,
        # The chart is one picture for assistive technology: not a keyboard stop of its own.
        custom_attrs={"accessibilityLayer": False},
    )
    # The picture's name sums it up; the table below gives every figure as text.
    return rx.el.div(chart, role="img", aria_label=HelpDeskFeed.summary, class_name="chart")


def _week_cells(w) -> list:
    return [w["week"], w["opened"].to(str), w["answered"].to(str), w["on_time_text"]]


def _filter(label: str, name: str, value: rx.Var, on_change, options) -> rx.Component:
    return rx.el.div(
        field_label(label, name),
        rx.el.select(rx.el.option("All", value=""), options, id=f"field-{name.replace('_', '-')}", name=name,
                     value=value, on_change=on_change),
        class_name="field",
    )


def _filters() -> rx.Component:
    return rx.el.div(
        _filter("Status", "status", HelpDeskFeed.status, HelpDeskState.set_status,
                [rx.el.option(s, value=s) for s in PQ_STATUSES]),
        _filter("Inquiry Type", "inquiry_type", HelpDeskFeed.inquiry_type, HelpDeskState.set_inquiry_type,
                [rx.el.option(t, value=t) for t in INQUIRY_TYPES]),
        _filter("Provider", "provider", HelpDeskFeed.provider, HelpDeskState.set_provider,
                rx.foreach(HelpDeskState.providers, lambda o: rx.el.option(o["label"], value=o["id"]))),
        class_name="filters",
    )


def _due(r) -> rx.Component:
    # The word says it, not colour alone.
    return rx.fragment(r["due"], rx.cond(r["overdue"] != "", rx.el.span("Overdue", class_name="overdue-badge")))


def _queue_cells(r) -> list:
    return [rx.el.a(r["id"], href=routes.pq_url(r["id"])), r["provider"], r["inquiry_type"], r["subject"],
            rx.fragment(r["status"], rx.cond(r["signatures"] != "", rx.el.div(r["signatures"], class_name="hint"))),
            _due(r), r["taken_by"],
            rx.el.button("Take", type="button", class_name="btn", aria_label="Take PQ " + r["id"].to(str),
                         on_click=HelpDeskState.take(r["id"]))]


def _queue() -> rx.Component:
    return rx.fragment(
        rx.el.h2("PQs per week"),
        _weekly_chart(),
        data_table("PQs per week", ["Week of", "Opened", "Answered", "Answered within 24 business hours"],
                   HelpDeskFeed.weeks, _week_cells),
        rx.el.h2("Queue"),
        rx.el.p("Open PQs by first-response due time (Alaska time). Choose a Status to see resolved or closed PQs."),
        _filters(),
        messages(HelpDeskState.error, HelpDeskState.message),
        rx.el.p(HelpDeskFeed.rows.length().to(str) + " PQ(s) in the queue", role="status", aria_live="polite"),
        data_table("Help Desk queue", ["PQ Number", "Provider", "Inquiry Type", "Subject", "Status", "Due",
                                       "Taken By", hidden_header("Actions")],
                   HelpDeskFeed.rows, _queue_cells),
        rx.cond(HelpDeskFeed.rows.length() == 0, rx.el.p("No PQs match these filters.")),
    )


def help_desk_page() -> rx.Component:
    return protected_page(
        rx.el.h1("Help Desk queue"),
        rx.cond(HelpDeskState.refused != "", message(HelpDeskState.refused), _queue()),
    )
