"""Relay global IDs: "Type:pk" in base64, for the four node types."""

from strawberry import relay

NODE_TYPES = {"Talk": "talk", "Speaker": "speaker", "Event": "event", "Topic": "topic"}
INVALID_ID = "`{argument}` is not a valid ID: pass the `id` of a Talk, Speaker, Event or Topic."


def parse_global_id(value: str) -> tuple[str, int] | None:
    """The type name and primary key inside a global ID, or None if it is not one of ours."""
    try:
        global_id = relay.GlobalID.from_id(value)
    except relay.GlobalIDValueError:
        return None
    if global_id.type_name not in NODE_TYPES or not global_id.node_id.isdigit():
        return None
    return global_id.type_name, int(global_id.node_id)


def global_id(type_name: str, pk: int) -> str:
    return str(relay.GlobalID(type_name, str(pk)))
