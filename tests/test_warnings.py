"""Deprecations from pytest, SQLAlchemy and Reflex fail the suite (pyproject.toml's filterwarnings)."""

import warnings

import pytest
from sqlalchemy.exc import SADeprecationWarning


@pytest.mark.parametrize("category", [pytest.PytestRemovedIn10Warning, SADeprecationWarning])
def test_a_new_deprecation_is_an_error_not_a_line_in_the_summary(category):
    with pytest.raises(category):
        warnings.warn("this way of doing it goes away in the next major version", category, stacklevel=1)


def test_a_deprecation_raised_inside_reflex_is_an_error_too():
    import reflex_base

    with pytest.raises(DeprecationWarning):
        warnings.warn_explicit("old Reflex API", DeprecationWarning, "reflex_base/__init__.py", 1,
                               module="reflex_base", registry={})
    assert reflex_base  # the module the filter names exists
