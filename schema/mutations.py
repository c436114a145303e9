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
from strawberry.types import Info
from strawberry.utils.str_converters import to_camel_case
from strawberry_django.fields.types import OperationInfo, OperationMessage

from schema.errors import a
from schema.ids import INVALID_ID, global_id, parse_global_id
from schema.permissions import MayWrite
from schema.types import (
    NODE_TYPES,
    CreateEventInput,
    CreateSpeakerInput,
    CreateTalkInput,
    CreateTopicInput,
    DeleteInput,
    EventType,
    SpeakerType,
    TalkType,
    TopicType,
    UpdateEventInput,
    UpdateSpeakerInput,
    UpdateTalkInput,
    UpdateTopicInput,
    control,
    given_fields,
    model_of,
)
from talks import idempotency, services
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
