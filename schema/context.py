"""The per-request context: the Django request and response, the token's user, and fresh
DataLoaders."""

from dataclasses import dataclass, field
from typing import Any

from strawberry.django.context import StrawberryDjangoContext

from schema.loaders import Loaders


@dataclass
class Context(StrawberryDjangoContext):
    # The user of a valid `Authorization: Bearer` token; None means "look at the session".
    token_user: Any = None
    # A new set for every request: loaders cache what they load, and a cache shared
    # between requests would serve one client's stale rows to another.
    loaders: Loaders = field(default_factory=Loaders)
    # What `schema.lookahead` found below each field, by the field's nodes and a path.
    lookahead: dict = field(default_factory=dict)
    # What a nested `talks` field works out from its arguments and selection, by the
    # field's nodes: the same for every parent (the talks of 50 speakers) in a request.
    # Futures, set by the first parent (see schema.types.nested_talks).
    talk_pages: dict = field(default_factory=dict)
