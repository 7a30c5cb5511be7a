"""Exceptions raised by synthmix.

Every error synthmix raises on purpose derives from :class:`SynthmixError`, itself a
:class:`ValueError`, so callers can catch one type. The CLI turns these into one line on
stderr and exit code 2.
"""

from __future__ import annotations

__all__ = ["ConvergenceError", "SynthmixError", "ValidationError"]


class SynthmixError(ValueError):
    """Base class of the errors synthmix raises deliberately."""


class ValidationError(SynthmixError):
    """A parameter broke a rule; the message names the parameter, the rule and the value."""


class ConvergenceError(SynthmixError):
    """A fixed point or iterative solver did not converge; the message names the inputs."""
