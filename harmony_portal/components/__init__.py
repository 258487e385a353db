"""Reusable UI pieces that take plain values or Vars."""

from harmony_portal.components.forms import (
    checkbox_field,
    message,
    messages,
    password_field,
    select_field,
    submit_button,
    text_field,
)

__all__ = ["checkbox_field", "message", "messages", "password_field", "select_field", "submit_button", "text_field"]
