"""Exceptions a user of the runtime can catch. The CLI prints their message as one line."""


class EdgeSentimentError(Exception):
    """Base class: an error caused by input or files, with a message that says how to fix it."""


class BundleError(EdgeSentimentError):
    """A model bundle is missing, incomplete, corrupt, or does not match its manifest."""


class MissingExtraError(EdgeSentimentError, ImportError):
    """An optional dependency is not installed; the message names the extra that installs it."""


class BackendUnavailableError(MissingExtraError):
    """A backend's optional dependency is not installed; the message names the extra."""
