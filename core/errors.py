"""Phylo's exception hierarchy: errors a user can act on, shown as one line."""

__all__ = ["PhyloError", "SourceError", "BundleError"]


class PhyloError(Exception):
    """Base of every error Phylo reports to a user without a traceback."""


class SourceError(PhyloError):
    """The snapshot cannot be read: unknown source, unreadable file, missing column."""


class BundleError(PhyloError):
    """A bundle folder is missing files or was written by an incompatible version."""
