"""The Mutation root: the twelve writes of the contract, each a thin call to a service.

Every failure a client can cause comes back as an `OperationInfo` with one message per
problem; nothing is written then.
"""

from collections.abc import Callable
from typing import Annotated, Any

import strawberry
from asgiref.sync import sync_to_async
from django.db import transaction
from strawberry.types import Info
from strawberry.utils.str_converters import to_camel_case
from strawberry_django.fields.types import OperationInfo, OperationMessage

from schema.ids import INVALID_ID, global_id, parse_global_id
from schema.inputs import (
    RELATIONS,
    CreateEventInput,
    CreateSpeakerInput,
    CreateTalkInput,
    CreateTopicInput,
    DeleteInput,
    UpdateEventInput,
    UpdateSpeakerInput,
    UpdateTalkInput,
    UpdateTopicInput,
    given_fields,
)
from schema.permissions import PermissionDenied, staff_actor
from schema.types import NODE_TYPES, EventType, SpeakerType, TalkType, TopicType
from talks import services
from talks.models import Event, Speaker, Talk, Topic
from talks.services import ApplicationError, Problem

Kind = OperationMessage.Kind

WRONG_TYPE = "Expected the ID of a {expected}, got the ID of a {found}."
NOT_FOUND = "No {type_name} has this ID."


@strawberry.type(description="What a delete removed.")
class DeletedNode:
    id: strawberry.ID = strawberry.field(description="The global ID of the deleted object.")


TalkPayload = Annotated[TalkType | OperationInfo, strawberry.union("TalkPayload")]
SpeakerPayload = Annotated[SpeakerType | OperationInfo, strawberry.union("SpeakerPayload")]
EventPayload = Annotated[EventType | OperationInfo, strawberry.union("EventPayload")]
TopicPayload = Annotated[TopicType | OperationInfo, strawberry.union("TopicPayload")]
DeletePayload = Annotated[DeletedNode | OperationInfo, strawberry.union("DeletePayload")]

MODELS = {"Talk": Talk, "Speaker": Speaker, "Event": Event, "Topic": Topic}


def operation_info(problems: list[Problem], kind: Kind = Kind.VALIDATION) -> OperationInfo:
    """The one place service problems become what the client sees (fields in camelCase)."""
    return OperationInfo(
        messages=[
            OperationMessage(
                kind=kind,
                message=problem.message,
                field=to_camel_case(problem.field) if problem.field else None,
                code=problem.code,
            )
            for problem in problems
        ]
    )


def _pk(value: str, expected: str, field: str, label: str | None = None) -> int:
    parsed = parse_global_id(value, NODE_TYPES)
    if parsed is None:
        message = INVALID_ID.format(argument=to_camel_case(label or field))
        raise ApplicationError.one(message, field=field, code="invalid_id")
    type_name, pk = parsed
    if type_name != expected:
        message = WRONG_TYPE.format(expected=expected, found=type_name)
        raise ApplicationError.one(message, field=field, code="wrong_type")
    return pk


def service_arguments(input_object: Any) -> tuple[dict[str, Any], list[Problem]]:
    """The input's given fields as service keyword arguments, relations as primary keys,
    and the problems of IDs that could not be read (those are left out or None)."""
    arguments: dict[str, Any] = {}
    problems: list[Problem] = []
    for name, value in given_fields(input_object).items():
        expected = RELATIONS.get(name)
        if expected is None:
            arguments[name] = value
        elif isinstance(value, list):
            arguments[name] = []
            for position, item in enumerate(value):
                try:
                    arguments[name].append(_pk(item, expected, name, f"{name}[{position}]"))
                except ApplicationError as error:
                    problems += error.problems
        elif value is None:
            if name == "event":
                problems.append(Problem(services.REQUIRED, name, "required"))
            else:
                arguments[name] = []
        else:
            try:
                arguments[name] = _pk(value, expected, name)
            except ApplicationError as error:
                arguments[name] = None
                problems += error.problems
    return arguments, problems


def _call(service: Callable[..., Any], input_object: Any, **known: Any) -> Any:
    """Call the service with the input; with unreadable IDs, still report every problem.

    The service then runs in a transaction that is always rolled back, only to find the
    input's other problems; those about a field whose IDs were unreadable are dropped.
    """
    arguments, problems = service_arguments(input_object)
    if not problems:
        return service(**known, **arguments)
    reported = {problem.field for problem in problems}
    with transaction.atomic():
        try:
            service(**known, **arguments)
        except ApplicationError as error:
            problems += [p for p in error.problems if p.field not in reported]
        transaction.set_rollback(True)
    raise ApplicationError(problems)


def _load(type_name: str, value: str):
    obj = MODELS[type_name].objects.filter(pk=_pk(value, type_name, "id")).first()
    if obj is None:
        raise ApplicationError.one(
            NOT_FOUND.format(type_name=type_name.lower()), field="id", code="not_found"
        )
    return obj


async def _run(info: Info, write: Callable[[Any], Any]) -> Any:
    """Check the caller may write, then run `write(actor)` in the ORM's thread."""
    try:
        actor = await staff_actor(info)
    except PermissionDenied as denied:
        return operation_info([Problem(denied.message, None, denied.code)], Kind.PERMISSION)
    try:
        return await sync_to_async(write)(actor)
    except ApplicationError as error:
        return operation_info(error.problems)


def _create(create: Callable[..., Any], input_object: Any):
    return lambda actor: _call(create, input_object, actor=actor)


def _update(type_name: str, update: Callable[..., Any], input_object: Any):
    def write(actor):
        obj = _load(type_name, input_object.id)
        return _call(update, input_object, actor=actor, **{type_name.lower(): obj})

    return write


def _delete(type_name: str, delete: Callable[..., Any], input_object: DeleteInput):
    def write(actor):
        obj = _load(type_name, input_object.id)
        deleted_id = global_id(type_name, obj.pk)
        delete(**{type_name.lower(): obj}, actor=actor)
        return DeletedNode(id=deleted_id)

    return write


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a talk.")
    async def create_talk(self, info: Info, input: CreateTalkInput) -> TalkPayload:
        return await _run(info, _create(services.talk_create, input))

    @strawberry.mutation(description="Change a talk's given fields.")
    async def update_talk(self, info: Info, input: UpdateTalkInput) -> TalkPayload:
        return await _run(info, _update("Talk", services.talk_update, input))

    @strawberry.mutation(description="Delete a talk.")
    async def delete_talk(self, info: Info, input: DeleteInput) -> DeletePayload:
        return await _run(info, _delete("Talk", services.talk_delete, input))

    @strawberry.mutation(description="Create a speaker.")
    async def create_speaker(self, info: Info, input: CreateSpeakerInput) -> SpeakerPayload:
        return await _run(info, _create(services.speaker_create, input))

    @strawberry.mutation(description="Change a speaker's given fields.")
    async def update_speaker(self, info: Info, input: UpdateSpeakerInput) -> SpeakerPayload:
        return await _run(info, _update("Speaker", services.speaker_update, input))

    @strawberry.mutation(description="Delete a speaker who is billed on no talk.")
    async def delete_speaker(self, info: Info, input: DeleteInput) -> DeletePayload:
        return await _run(info, _delete("Speaker", services.speaker_delete, input))

    @strawberry.mutation(description="Create an event.")
    async def create_event(self, info: Info, input: CreateEventInput) -> EventPayload:
        return await _run(info, _create(services.event_create, input))

    @strawberry.mutation(description="Change an event's given fields.")
    async def update_event(self, info: Info, input: UpdateEventInput) -> EventPayload:
        return await _run(info, _update("Event", services.event_update, input))

    @strawberry.mutation(description="Delete an event that has no talks.")
    async def delete_event(self, info: Info, input: DeleteInput) -> DeletePayload:
        return await _run(info, _delete("Event", services.event_delete, input))

    @strawberry.mutation(description="Create a topic.")
    async def create_topic(self, info: Info, input: CreateTopicInput) -> TopicPayload:
        return await _run(info, _create(services.topic_create, input))

    @strawberry.mutation(description="Change a topic's given fields.")
    async def update_topic(self, info: Info, input: UpdateTopicInput) -> TopicPayload:
        return await _run(info, _update("Topic", services.topic_update, input))

    @strawberry.mutation(description="Delete a topic that no talk has.")
    async def delete_topic(self, info: Info, input: DeleteInput) -> DeletePayload:
        return await _run(info, _delete("Topic", services.topic_delete, input))
