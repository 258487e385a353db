"""The page shell and the guards every page is wrapped in."""

from harmony_portal.layouts.shell import page, protected_page

__all__ = ["page", "protected_page"]
