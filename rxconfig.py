"""Reflex configuration: everything comes from harmony_portal.settings."""

import reflex as rx

from harmony_portal.server.logging_setup import configure_logging
from harmony_portal.settings import get_settings, isolate_reflex_uploads

_settings = get_settings()
# Every process Reflex starts reads this file (workers spawned rather than forked too): in
# production their logs are JSON lines with secrets redacted; elsewhere nothing changes.
configure_logging(_settings)
# Reflex serves its upload folder to anyone at /_upload/...: an empty folder of its own, far
# from the encrypted attachment store (HARMONY_UPLOAD_DIR); uploads are streamed there instead.
isolate_reflex_uploads(_settings)

config = rx.Config(
    app_name="harmony_portal",
    telemetry_enabled=False,
    redis_url=_settings.redis_url,
    # Without Redis there is one worker: keep state in memory. (Reflex's default, the disk
    # manager, pickles every change into .states/ and re-scans that folder, which cost a
    # third of the server's time under load.)
    state_manager_mode="redis" if _settings.redis_url else "memory",
    # The client IP (rate limits, audit) comes from X-Forwarded-For only through this many proxies.
    trusted_proxy_hops=_settings.harmony_trusted_proxy_hops,
    show_built_with_reflex=False,
    # Reflex allows any origin by default, for the websocket and every HTTP route.
    cors_allowed_origins=_settings.allowed_origins,
    disable_plugins=[rx.plugins.SitemapPlugin],
)
