"""The GraphQL context of an HTTP request: the schema's `Context`, with the request's
state and how the request authenticated.

Two ways in: `Authorization: Bearer <token>` (tooling; a bad token is refused outright,
never treated as anonymous), or the session of a user logged in at /admin/ (GraphiQL),
whose mutations must carry the CSRF token, since the view is CSRF-exempt so that
cookieless queries work.
"""

from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest
from django.middleware.csrf import CsrfViewMiddleware

from edge.protocol import RequestError, database_unavailable
from edge.state import RequestState
from schema.context import Context
from schema.permissions import PermissionDenied
from talks.tokens import InvalidToken, token_allows, token_user

CSRF_FAILED = (
    "Mutations sent with a session cookie need the CSRF token in the `X-CSRFToken` header."
)


@dataclass
class RequestContext(Context):
    state: RequestState | None = None

    async def user(self) -> Any:
        if self.state.token_user is not None:
            return self.state.token_user
        user = await self.request.auser()
        if user.is_authenticated and not _csrf_passes(self.request):
            raise PermissionDenied(CSRF_FAILED, "csrf_failed")
        return user

    async def allows(self, user: Any, permission: str) -> bool:
        # An API token may act with only some of its user's permissions.
        return await sync_to_async(token_allows)(user, permission)


def _csrf_passes(request: HttpRequest) -> bool:
    return CsrfViewMiddleware(lambda _: None).process_view(request, None, (), {}) is None


async def bearer_user(request: HttpRequest):
    """The user of the request's bearer token; None without an Authorization header."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise InvalidToken("The Authorization header must be `Bearer <token>`.")
    return await sync_to_async(token_user)(secret.strip())


async def authenticate(request: HttpRequest, state: RequestState) -> None:
    """Find the request's token user (`state.token_user`), or refuse its token."""
    try:
        state.token_user = await bearer_user(request)
    except InvalidToken as error:
        raise RequestError(
            401, str(error), "UNAUTHENTICATED", {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        ) from error
    except (OperationalError, InterfaceError) as error:
        raise database_unavailable() from error
