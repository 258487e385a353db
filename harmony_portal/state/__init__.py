"""Reflex state classes, one module per feature. Thin: they call services."""
