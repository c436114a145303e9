"""The Mutation root: create, change and delete each node type, each a call to a service
in the ORM's thread, for staff users with the model's permission (`MayWrite`).

Every failure a client can cause comes back as an `OperationInfo` with one message per
problem; nothing is written then. Creates may be retried with an idempotency key
(`talks.idempotency`); updates and deletes may be made conditional on a version.
"""

from collections.abc import Callable
from typing import Annotated, Any

import strawberry
from asgiref.sync import sync_to_async
from django.db import transaction
from strawberry import UNSET
from strawberry.types import Info
from strawberry.utils.str_converters import to_camel_case
from strawberry_django.fields.types import OperationInfo, OperationMessage

from schema.errors import a
from schema.ids import INVALID_ID, global_id, parse_global_id
from schema.permissions import MayWrite
from schema.types import (
    NODE_TYPES,
    CreateEventInput,
    CreateRoomInput,
    CreateSpeakerInput,
    CreateTalkInput,
    CreateTopicInput,
    CreateTrackInput,
    DeleteInput,
    EventType,
    RoomType,
    ScheduleTalkInput,
    SpeakerType,
    TalkType,
    TopicType,
    TrackType,
    UnscheduleTalkInput,
    UpdateEventInput,
    UpdateRoomInput,
    UpdateSpeakerInput,
    UpdateTalkInput,
    UpdateTopicInput,
    UpdateTrackInput,
    control,
    given_fields,
    model_of,
)
from talks import event_parts, idempotency, models, services
from talks.scheduling import KEEP
from talks.services import ApplicationError, Problem

WRONG_TYPE = "Expected the ID of {expected}, got the ID of {found}."
NOT_FOUND = "No {type_name} has this ID."

# The GraphQL type whose IDs a relation of an input takes, by the related model.
TYPE_NAMES = {model_of(node_type): name for name, node_type in NODE_TYPES.items()}


@strawberry.type(description="What a delete removed.")
class DeletedNode:
    id: strawberry.ID = strawberry.field(description="The global ID of the deleted object.")


TalkPayload = Annotated[TalkType | OperationInfo, strawberry.union("TalkPayload")]
SpeakerPayload = Annotated[SpeakerType | OperationInfo, strawberry.union("SpeakerPayload")]
EventPayload = Annotated[EventType | OperationInfo, strawberry.union("EventPayload")]
TopicPayload = Annotated[TopicType | OperationInfo, strawberry.union("TopicPayload")]
RoomPayload = Annotated[RoomType | OperationInfo, strawberry.union("RoomPayload")]
TrackPayload = Annotated[TrackType | OperationInfo, strawberry.union("TrackPayload")]
DeletePayload = Annotated[DeletedNode | OperationInfo, strawberry.union("DeletePayload")]


def operation_info(problems: list[Problem]) -> OperationInfo:
    """The one place service problems become what the client sees (fields in camelCase)."""
    return OperationInfo(
        messages=[
            OperationMessage(
                kind=OperationMessage.Kind.VALIDATION,
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
        message = WRONG_TYPE.format(expected=a(expected), found=a(type_name))
        raise ApplicationError.one(message, field=field, code="wrong_type")
    return pk


def service_arguments(input_object: Any) -> tuple[dict[str, Any], list[Problem]]:
    """The input's given fields as service keyword arguments, relations as primary keys,
    and the problems of IDs that could not be read (those are left out or None)."""
    model = input_object.__strawberry_django_definition__.model
    arguments: dict[str, Any] = {}
    problems: list[Problem] = []
    for name, value in given_fields(input_object).items():
        field = model._meta.get_field(name)
        if not field.is_relation:
            arguments[name] = value
            continue
        expected = TYPE_NAMES[field.related_model]
        if isinstance(value, list):
            arguments[name] = []
            for position, item in enumerate(value):
                try:
                    arguments[name].append(_pk(item, expected, name, f"{name}[{position}]"))
                except ApplicationError as error:
                    problems += error.problems
        elif value is None:
            if field.many_to_many:
                arguments[name] = []
            else:
                problems.append(Problem(services.REQUIRED, name, "required"))
        else:
            try:
                arguments[name] = _pk(value, expected, name)
            except ApplicationError as error:
                arguments[name] = None
                problems += error.problems
    return arguments, problems


def _call(
    service: Callable[..., Any], input_object: Any, *subject: Any, actor: Any, **controls: Any
) -> Any:
    """Call the service with the input; with unreadable IDs, still report every problem.

    The service then runs in a transaction that is always rolled back, only to find the
    input's other problems; those about a field whose IDs were unreadable are dropped.
    """
    arguments, problems = service_arguments(input_object)
    if not problems:
        return service(*subject, actor=actor, **controls, **arguments)
    reported = {problem.field for problem in problems}
    with transaction.atomic():
        try:
            service(*subject, actor=actor, **controls, **arguments)
        except ApplicationError as error:
            problems += [p for p in error.problems if p.field not in reported]
        transaction.set_rollback(True)
    raise ApplicationError(problems)


def _load(node_type: type, value: str):
    name = node_type.__strawberry_definition__.name
    obj = model_of(node_type).objects.filter(pk=_pk(value, name, "id")).first()
    if obj is None:
        raise ApplicationError.one(
            NOT_FOUND.format(type_name=name.lower()), field="id", code="not_found"
        )
    return obj


def staff_mutation(
    input_type: type, payload: Any, write: Callable, description: str, allowed: MayWrite
) -> Any:
    """A mutation field taking `input`, answered by `write(input, actor)` in the ORM's
    thread for those `allowed`; its ApplicationErrors become the payload's OperationInfo."""

    async def resolve(root, info: Info, input: input_type) -> payload:
        try:
            return await sync_to_async(write)(input, info.context.actor)
        except ApplicationError as error:
            return operation_info(error.problems)

    return strawberry.mutation(resolver=resolve, description=description, extensions=[allowed])


def writes_of(
    node_type: type,
    create_input: type,
    update_input: type,
    payload: Any,
    writes: services.Writes | services.NamedObjects,
    deletes: str,
) -> tuple[Any, Any, Any]:
    """The create, update and delete mutations of a node type, by its services;
    `deletes` describes the delete (what it refuses)."""
    name = node_type.__strawberry_definition__.name
    noun, model = a(name.lower()), model_of(node_type)

    def create(input_object: Any, actor: Any) -> Any:
        key = control(input_object, "idempotency_key")
        if key is None:
            return _call(writes.create, input_object, actor=actor)
        sent = idempotency.fingerprint(f"create{name}", given_fields(input_object))
        made = lambda: _call(writes.create, input_object, actor=actor)  # noqa: E731
        return idempotency.create_once(actor, key, sent, model, made)

    def update(input_object: Any, actor: Any) -> Any:
        obj = _load(node_type, input_object.id)
        if_version = control(input_object, "if_version")
        return _call(writes.update, input_object, obj, actor=actor, if_version=if_version)

    def remove(input_object: DeleteInput, actor: Any) -> DeletedNode:
        obj = _load(node_type, input_object.id)
        deleted_id = global_id(name, obj.pk)
        writes.delete(obj, actor=actor, if_version=input_object.if_version)
        return DeletedNode(id=deleted_id)

    return (
        staff_mutation(create_input, payload, create, f"Create {noun}.", MayWrite("add", model)),
        staff_mutation(
            update_input,
            payload,
            update,
            f"Change {noun}'s given fields.",
            MayWrite("change", model),
        ),
        staff_mutation(DeleteInput, DeletePayload, remove, deletes, MayWrite("delete", model)),
    )


def _schedule(input_object: ScheduleTalkInput, actor: Any) -> Any:
    talk = _load(TalkType, input_object.id)
    problems: list[Problem] = []
    places = {}
    for name in ("room", "track"):
        value = getattr(input_object, name)
        try:
            places[name] = value if value in (None, UNSET) else _pk(value, name.title(), name)
        except ApplicationError as error:
            problems += error.problems
    if problems:
        raise ApplicationError(problems)
    track = places["track"]
    return services.talk_update(
        talk,
        actor=actor,
        if_version=input_object.if_version,
        start=input_object.start,
        end=input_object.end,
        room=places["room"],
        track=KEEP if track is UNSET else track,
    )


def _unschedule(input_object: UnscheduleTalkInput, actor: Any) -> Any:
    talk = _load(TalkType, input_object.id)
    return services.talk_update(
        talk, actor=actor, if_version=input_object.if_version, start=None, end=None, room=None
    )


CHANGE_TALK = MayWrite("change", models.Talk)


@strawberry.type
class Mutation:
    create_talk, update_talk, delete_talk = writes_of(
        TalkType, CreateTalkInput, UpdateTalkInput, TalkPayload, services.TALKS, "Delete a talk."
    )
    create_speaker, update_speaker, delete_speaker = writes_of(
        SpeakerType,
        CreateSpeakerInput,
        UpdateSpeakerInput,
        SpeakerPayload,
        services.SPEAKERS,
        "Delete a speaker who is billed on no talk.",
    )
    create_event, update_event, delete_event = writes_of(
        EventType,
        CreateEventInput,
        UpdateEventInput,
        EventPayload,
        services.EVENTS,
        "Delete an event that has no talks.",
    )
    create_topic, update_topic, delete_topic = writes_of(
        TopicType,
        CreateTopicInput,
        UpdateTopicInput,
        TopicPayload,
        services.TOPICS,
        "Delete a topic that no talk has.",
    )
    create_room, update_room, delete_room = writes_of(
        RoomType,
        CreateRoomInput,
        UpdateRoomInput,
        RoomPayload,
        event_parts.ROOMS,
        "Delete a room that no talk is scheduled in.",
    )
    create_track, update_track, delete_track = writes_of(
        TrackType,
        CreateTrackInput,
        UpdateTrackInput,
        TrackPayload,
        event_parts.TRACKS,
        "Delete a track that no talk is in.",
    )
    schedule_talk = staff_mutation(
        ScheduleTalkInput,
        TalkPayload,
        _schedule,
        "Give a talk its slot (start, end, room; and track), checked against the event's "
        "days, the room's other talks and the speakers' other talks.",
        CHANGE_TALK,
    )
    unschedule_talk = staff_mutation(
        UnscheduleTalkInput,
        TalkPayload,
        _unschedule,
        "Take a talk off the schedule: no start, end or room.",
        CHANGE_TALK,
    )
