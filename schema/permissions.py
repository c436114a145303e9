"""Who may write: active staff users with the model permission the admin would ask for
(`talks.add_talk`, `talks.change_talk`, `talks.delete_talk`, ...; superusers have all).

`MayWrite(permission)` is declared on each mutation field. A caller who may not write
gets the field's `OperationInfo` with a PERMISSION message, and the resolver does not
run. Who the caller is, and what they may do, comes from the context (`Context.user`,
`Context.allows`): the HTTP edge knows an API token from a session, and a token may act
with only some of its user's permissions.
"""

from typing import Any

from django.contrib.auth import get_permission_codename
from strawberry.extensions import FieldExtension
from strawberry.types import Info
from strawberry_django.fields.types import OperationInfo, OperationMessage

LOGIN_REQUIRED = (
    "Mutations need a staff user: send `Authorization: Bearer <token>` or log in at /admin/ first."
)
STAFF_REQUIRED = "Mutations need a staff user; this account is not one."
PERMISSION_REQUIRED = (
    "This account may not {action} {things}: it lacks the permission {permission}."
)
ACTIONS = {"add": "create", "change": "change", "delete": "delete"}


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


class MayWrite(FieldExtension):
    """Only a staff user with `permission` of `model` (an action: add, change or delete)
    may run the field; it finds them in `info.context.actor`."""

    def __init__(self, action: str, model: type) -> None:
        super().__init__()
        self.action, self.model = action, model
        self.permission = f"{model._meta.app_label}.{get_permission_codename(action, model._meta)}"

    async def resolve_async(self, next_, source: Any, info: Info, **kwargs: Any) -> Any:
        try:
            actor = await staff_actor(info)
            if not await info.context.allows(actor, self.permission):
                message = PERMISSION_REQUIRED.format(
                    action=ACTIONS[self.action],
                    things=self.model._meta.verbose_name_plural,
                    permission=self.permission,
                )
                raise PermissionDenied(message, "forbidden")
            info.context.actor = actor
        except PermissionDenied as denied:
            message = OperationMessage(
                kind=OperationMessage.Kind.PERMISSION, message=denied.message, code=denied.code
            )
            return OperationInfo(messages=[message])
        return await next_(source, info, **kwargs)
