"""Reflex configuration: everything comes from harmony_portal.settings."""

import reflex as rx

from harmony_portal.settings import get_settings

_settings = get_settings()

config = rx.Config(
    app_name="harmony_portal",
    telemetry_enabled=False,
    redis_url=_settings.redis_url,
    show_built_with_reflex=False,
    disable_plugins=[rx.plugins.SitemapPlugin],
)
