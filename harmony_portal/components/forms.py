"""Labelled form fields: every input has a visible <label> tied to it by id.

Fields are uncontrolled (the browser keeps what was typed) and submitted as a
whole form, so a refused submission leaves every value in place. Errors are
shown under the field and tied to it with aria-describedby.
"""

from __future__ import annotations

import reflex as rx


def _field_id(name: str) -> str:
    return f"field-{name.replace('_', '-')}"


def _label(text: str, field_id: str, required: bool) -> rx.Component:
    """The label; a required marker sits beside it, outside the accessible name."""
    if not required:
        return rx.el.label(text, html_for=field_id)
    return rx.el.span(rx.el.label(text, html_for=field_id), rx.el.span(" *", aria_hidden="true",
                                                                      class_name="required-marker"))


def _error(name: str, error: rx.Var | None) -> rx.Component:
    if error is None:
        return rx.fragment()
    return rx.cond(error != "", rx.el.p(error, id=f"{_field_id(name)}-error", class_name="field-error"))


def _wrapper_class(error: rx.Var | None) -> rx.Var | str:
    return "field" if error is None else rx.cond(error != "", "field has-error", "field")


def field_label(text: str, name: str, required: bool = False) -> rx.Component:
    return _label(text, _field_id(name), required)


def text_field(label: str, name: str, *, type: str = "text", required: bool = False,
               error: rx.Var | None = None, default_value: rx.Var | str | None = None,
               autocomplete: str | None = None, hint: str | None = None, read_only: bool = False,
               value: rx.Var | str | None = None, multiline: bool = False, **props) -> rx.Component:
    """A labelled input (or textarea with ``multiline``)."""
    field_id = _field_id(name)
    described = " ".join(filter(None, [f"{field_id}-hint" if hint else None,
                                       f"{field_id}-error" if error is not None else None]))
    attrs = dict(id=field_id, name=name, aria_required="true" if required else None,
                 aria_describedby=described or None, auto_complete=autocomplete, **props)
    if error is not None:
        attrs["aria_invalid"] = rx.cond(error != "", "true", "false")
    if value is not None:
        attrs["value"] = value
        attrs["read_only"] = True
    elif default_value is not None:
        attrs["default_value"] = default_value
    if read_only:
        attrs["read_only"] = True
    control = rx.el.textarea(rows=6, **attrs) if multiline else rx.el.input(type=type, **attrs)
    return rx.el.div(
        _label(label, field_id, required),
        rx.el.p(hint, id=f"{field_id}-hint", class_name="field-hint") if hint else rx.fragment(),
        control,
        _error(name, error),
        class_name=_wrapper_class(error),
    )


def password_field(label: str, name: str, *, error: rx.Var | None = None, new: bool = False,
                   hint: str | None = None, required: bool = True) -> rx.Component:
    """A password input; ``new`` for one being chosen (the browser may offer to generate it)."""
    return text_field(label, name, type="password", required=required, error=error,
                      autocomplete="new-password" if new else "current-password", hint=hint)


def select_field(label: str, name: str, options: list[str] | rx.Var, *, required: bool = False,
                 error: rx.Var | None = None, default_value: rx.Var | str | None = None,
                 placeholder: str = "Choose…", **props) -> rx.Component:
    """A labelled native <select> (the most accessible choice control)."""
    field_id = _field_id(name)
    if isinstance(options, rx.Var):
        option_nodes = rx.foreach(options, lambda o: rx.el.option(o, value=o))
    else:
        option_nodes = [rx.el.option(o, value=o) for o in options]
    attrs = dict(id=field_id, name=name, aria_required="true" if required else None, **props)
    if error is not None:
        attrs["aria_describedby"] = f"{field_id}-error"
        attrs["aria_invalid"] = rx.cond(error != "", "true", "false")
    if default_value is not None:
        attrs["default_value"] = default_value
    return rx.el.div(
        _label(label, field_id, required),
        rx.el.select(rx.el.option(placeholder, value=""), option_nodes, **attrs),
        _error(name, error),
        class_name=_wrapper_class(error),
    )


def checkbox_field(label: rx.Component | str, name: str, *, error: rx.Var | None = None,
                   **props) -> rx.Component:
    """A checkbox with its label to the right."""
    field_id = _field_id(name)
    return rx.el.div(
        rx.el.div(
            rx.el.input(type="checkbox", id=field_id, name=name, **props),
            rx.el.label(label, html_for=field_id),
            class_name="checkbox-field",
        ),
        _error(name, error),
    )


def submit_button(text: str, *, primary: bool = True, **props) -> rx.Component:
    return rx.el.button(text, type="submit", class_name="btn btn-primary" if primary else "btn", **props)


def message(text: rx.Var, kind: str = "error") -> rx.Component:
    """A message box that screen readers announce (alert for errors, status otherwise)."""
    role = "alert" if kind == "error" else "status"
    return rx.cond(text != "", rx.el.div(text, role=role, class_name=f"message message-{kind}"))


def messages(error: rx.Var, done: rx.Var) -> rx.Component:
    """What the last action came to: the refusal (an alert) and what was done (a status), each when set."""
    return rx.fragment(message(error), message(done, "ok"))
