"""termbase: an Arabic–English terminology manager.

    >>> import termbase
    >>> tb = termbase.open("glossary")          # a glossary directory or any importable file

See docs/api.md; the CLI is glue over the same handle.
"""

__version__ = "0.1.0"
__all__ = ["open", "Glossary"]


def __getattr__(name):
    """`termbase.open` and `termbase.Glossary`, imported on first use (commands stay quick to start)."""
    if name in __all__:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'termbase' has no attribute {name!r}")
