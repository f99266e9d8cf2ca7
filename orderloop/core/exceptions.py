"""Domain errors: each carries a stable code, a message in the user's language
and, where it concerns input, messages per field."""
from django.utils.translation import gettext as _


class DomainError(Exception):
    """A refused business operation. Nothing has changed when it is raised."""

    code = "refused"
    http_status = 409

    def __init__(self, message: str, *, errors: dict[str, list[str]] | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        if code:
            self.code = code


class InvalidInput(DomainError):
    """The input breaks a rule; ``errors`` says which field and why."""

    code = "invalid"
    http_status = 422


class NotAllowed(DomainError):
    """The user may not do this (role, or separation of duties)."""

    code = "forbidden"
    http_status = 403


class InvalidTransition(DomainError):
    """The action is not possible in the order's current state."""

    code = "illegal_transition"
    http_status = 409


class StaleVersion(DomainError):
    code = "stale_version"
    http_status = 409

    def __init__(self, *, expected: int, actual: int):
        super().__init__(
            _("订单已被他人修改（您读取的是第 %(expected)s 版，当前为第 %(actual)s 版），请刷新后重试。")
            % {"expected": expected, "actual": actual},
            errors={"version": [_("版本已过期")]},
        )
        self.expected = expected
        self.actual = actual


class NotFound(DomainError):
    code = "not_found"
    http_status = 404
