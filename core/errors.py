"""Phylo's exception hierarchy: errors a user can act on, shown as one line."""

__all__ = ["PhyloError", "SourceError", "BundleError", "one_line"]


class PhyloError(Exception):
    """Base of every error Phylo reports to a user without a traceback."""


class SourceError(PhyloError):
    """The snapshot cannot be read: unknown source, unreadable file, missing column."""


class BundleError(PhyloError):
    """A bundle folder is missing files or was written by an incompatible version."""


def one_line(exc: BaseException, limit: int = 300) -> str:
    """The first line of an error, for a message to a user, with any HF_TOKEN in it masked."""
    import os

    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:limit]
    token = os.environ.get("HF_TOKEN")
    return text.replace(token, "***") if token else text
