"""One module per route. Pages lay out components; they hold no database code."""
