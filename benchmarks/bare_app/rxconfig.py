"""The bare comparison app of the load benchmark: Reflex with nothing of ours."""

import os

import reflex as rx

_redis = os.environ.get("BARE_REDIS_URL") or None

config = rx.Config(
    app_name="bare_app",
    telemetry_enabled=False,
    redis_url=_redis,
    # The same state manager choice as the portal's rxconfig: memory on one node, Redis on two.
    state_manager_mode="redis" if _redis else "memory",
    disable_plugins=[rx.plugins.SitemapPlugin],
)
