"""termbase: an Arabic–English terminology manager."""

__version__ = "0.1.0"
