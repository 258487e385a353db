"""The app: pages wired to routes. Nothing else lives here."""

import reflex as rx

from harmony_portal import routes
from harmony_portal.pages.help import help_page
from harmony_portal.pages.login import login_page
from harmony_portal.pages.terms import terms_page
from harmony_portal.state.login import LoginState
from harmony_portal.state.shell import ShellState

app = rx.App(stylesheets=["/portal.css"], head_components=[rx.el.meta(name="color-scheme", content="light")])


def _public(component, route: str, title: str, *on_load) -> None:
    app.add_page(component, route=route, title=f"{title} | Harmony Portal",
                 on_load=[ShellState.load, *on_load])


_public(login_page, routes.LOGIN, "Login", LoginState.load)
_public(help_page, routes.HELP, "Help")
_public(terms_page, routes.TERMS, "Terms & Conditions")
