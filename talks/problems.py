"""What a write refuses, said so that the caller can fix it: the services raise these,
and the API and the admin show them."""

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    message: str
    field: str | None = None  # the service argument the problem is about
    code: str = "invalid"


class ApplicationError(Exception):
    """A request the caller can fix; nothing was written."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(p.message for p in self.problems))

    @classmethod
    def one(cls, message: str, *, field: str | None = None, code: str = "invalid"):
        return cls([Problem(message, field, code)])


class NotFound(ApplicationError):
    pass


class Protected(ApplicationError):
    """The object cannot be deleted while other objects depend on it."""


class Conflict(ApplicationError):
    """The object is no longer at the version the caller read."""
