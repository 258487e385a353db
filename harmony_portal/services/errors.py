"""The small family of errors services raise; state turns them into messages."""


class DomainError(Exception):
    """Base class: ``str(error)`` is a sentence fit to show a user.

    ``keeps_changes`` marks a refusal whose transaction must still commit (the
    failure count and audit row of a wrong password, for instance).
    """

    keeps_changes = False

    def keeping_changes(self) -> "DomainError":
        self.keeps_changes = True
        return self


class NotAllowed(DomainError):
    """The acting user may not do this."""

    def __init__(self, message: str = "You are not allowed to do that."):
        super().__init__(message)


class Invalid(DomainError):
    """Input refused. ``errors`` maps a field label to its message."""

    def __init__(self, errors: dict[str, str] | str, message: str | None = None):
        if isinstance(errors, str):
            errors = {errors: message or "is not valid."}
        self.errors = errors
        super().__init__(" ".join(errors.values()))


class Refused(DomainError):
    """The database refused a value the services did not catch first (a last line of defence)."""


class Conflict(DomainError):
    """Someone else changed the thing first (or it already exists)."""


class Locked(DomainError):
    """The account is locked until ``until`` (UTC)."""

    def __init__(self, message: str, until=None):
        self.until = until
        super().__init__(message)


class RateLimited(DomainError):
    """Too many attempts from one client or at one account; ``retry_after`` is in seconds."""

    def __init__(self, message: str, retry_after: int = 0):
        self.retry_after = retry_after
        super().__init__(message)


class Maintenance(DomainError):
    """A maintenance window is in progress: the save is refused (what was typed stays; long forms keep a draft)."""
