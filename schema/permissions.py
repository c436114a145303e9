"""Who may write: active staff users.

`IsStaff` is declared on each mutation field. A caller who may not write gets the
field's `OperationInfo` with a PERMISSION message, and the resolver does not run. Who
the caller is comes from the context (`Context.user`), which the HTTP edge fills in
from an API token or a session.
"""

from typing import Any

from strawberry.extensions import FieldExtension
from strawberry.types import Info
from strawberry_django.fields.types import OperationInfo, OperationMessage

LOGIN_REQUIRED = (
    "Mutations need a staff user: send `Authorization: Bearer <token>` or log in at /admin/ first."
)
STAFF_REQUIRED = "Mutations need a staff user; this account is not one."


class PermissionDenied(Exception):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message, self.code = message, code


async def staff_actor(info: Info):
    """The user a mutation acts as, or PermissionDenied."""
    user = await info.context.user()
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
