"""The rules of the portal: plain functions over a SQLModel session. No reflex here.

One sub-package per domain; import the module you need
(``from harmony_portal.services.roles import decisions``); nothing is imported here, so
loading one service never loads them all. The modules at this level are shared by every
domain: errors, clocks, field checks, guards, after-commit changes, crypto, CSV, demo data.
"""
