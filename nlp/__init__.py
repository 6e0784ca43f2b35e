"""koe's Japanese feedback analysis library (no web or database imports)."""

__version__ = "0.1.0"
