"""A modal dialog: backdrop, labelled box, shown while ``open`` is true."""

import reflex as rx


def dialog(open_: rx.Var, title: str, dialog_id: str, *children: rx.Component, role: str = "dialog") -> rx.Component:
    title_id = f"{dialog_id}-title"
    return rx.cond(open_, rx.el.div(
        rx.el.div(rx.el.h2(title, id=title_id), *children, role=role, aria_modal="true",
                  aria_labelledby=title_id, class_name="dialog"),
        class_name="dialog-backdrop",
    ))


def dismiss_button(text: str, on_click, **props) -> rx.Component:
    """The button that closes a dialog without acting: Escape presses it too (assets/dialogs.js)."""
    return rx.el.button(text, type="button", class_name=props.pop("class_name", "btn"), on_click=on_click,
                        custom_attrs={"data-dialog-dismiss": ""}, **props)


def confirm_form(on_submit, submit_text: str, on_cancel, *fields: rx.Component) -> rx.Component:
    """A dialog's form: its fields, a danger button and Cancel."""
    return rx.el.form(
        *fields,
        rx.el.div(rx.el.button(submit_text, type="submit", class_name="btn btn-danger"),
                  dismiss_button("Cancel", on_cancel),
                  class_name="actions"),
        on_submit=on_submit,
    )
