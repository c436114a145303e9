"""Who may write: active staff users, by API token or by session with a CSRF token.

`IsStaff` is declared on each mutation field. A caller who may not write gets the
field's `OperationInfo` with a PERMISSION message, and the resolver does not run.
"""

from typing import Any

from django.http import HttpRequest
from django.middleware.csrf import CsrfViewMiddleware
from strawberry.extensions import FieldExtension
from strawberry.types import Info
from strawberry_django.fields.types import OperationInfo, OperationMessage

LOGIN_REQUIRED = (
    "Mutations need a staff user: send `Authorization: Bearer <token>` or log in at /admin/ first."
)
STAFF_REQUIRED = "Mutations need a staff user; this account is not one."
CSRF_FAILED = (
    "Mutations sent with a session cookie need the CSRF token in the `X-CSRFToken` header."
)


class PermissionDenied(Exception):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message, self.code = message, code


def _csrf_passes(request: HttpRequest) -> bool:
    # The view is CSRF-exempt so that cookieless queries work; a mutation that acts on
    # a session's authority runs the middleware's own check here.
    return CsrfViewMiddleware(lambda _: None).process_view(request, None, (), {}) is None


async def staff_actor(info: Info):
    """The user a mutation acts as, or PermissionDenied."""
    context = info.context
    if context.token_user is not None:
        user = context.token_user
    else:
        user = await context.request.auser()
        if user.is_authenticated and not _csrf_passes(context.request):
            raise PermissionDenied(CSRF_FAILED, "csrf_failed")
    if not user.is_authenticated:
        raise PermissionDenied(LOGIN_REQUIRED, "unauthenticated")
    if not (user.is_active and user.is_staff):
        raise PermissionDenied(STAFF_REQUIRED, "forbidden")
    return user


class IsStaff(FieldExtension):
    """Only a staff user may run the field; it finds them in `info.context.actor`."""

    async def resolve_async(self, next_, source: Any, info: Info, **kwargs: Any) -> Any:
        try:
            info.context.actor = await staff_actor(info)
        except PermissionDenied as denied:
            message = OperationMessage(
                kind=OperationMessage.Kind.PERMISSION, message=denied.message, code=denied.code
            )
            return OperationInfo(messages=[message])
        return await next_(source, info, **kwargs)
