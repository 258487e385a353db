"""The page shell and the guards every page is wrapped in."""

from harmony_portal.layouts.shell import card_page, official_page, page, protected_page

__all__ = ["card_page", "official_page", "page", "protected_page"]
