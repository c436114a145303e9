"""Relay global IDs: "Type:pk" in base64."""

from collections.abc import Container

from strawberry import relay

INVALID_ID = "`{argument}` is not a valid ID: pass the `id` of a Talk, Speaker, Event or Topic."


def parse_global_id(value: str, types: Container[str]) -> tuple[str, int] | None:
    """The type name and primary key inside a global ID of one of `types`, else None."""
    try:
        global_id = relay.GlobalID.from_id(value)
    except relay.GlobalIDValueError:
        return None
    if global_id.type_name not in types or not global_id.node_id.isdigit():
        return None
    return global_id.type_name, int(global_id.node_id)


def global_id(type_name: str, pk: int) -> str:
    return str(relay.GlobalID(type_name, str(pk)))
