"""Relay global IDs: "Type:pk" in base64."""

import re
from collections.abc import Container

from strawberry import relay

# A primary key as the API writes it: ASCII digits, no leading zero, within a bigint.
PRIMARY_KEY = re.compile(r"[1-9][0-9]{0,18}")
BIGINT_MAX = 2**63 - 1

INVALID_ID = (
    "`{argument}` is not a valid ID: pass the `id` of a Talk, Speaker, Event, Topic, Room or Track."
)


def parse_global_id(value: str, types: Container[str]) -> tuple[str, int] | None:
    """The type name and primary key inside a global ID of one of `types`, else None."""
    try:
        global_id = relay.GlobalID.from_id(value)
    except relay.GlobalIDValueError:
        return None
    pk = global_id.node_id
    if global_id.type_name not in types or not PRIMARY_KEY.fullmatch(pk) or int(pk) > BIGINT_MAX:
        return None
    return global_id.type_name, int(pk)


def global_id(type_name: str, pk: int) -> str:
    return str(relay.GlobalID(type_name, str(pk)))
