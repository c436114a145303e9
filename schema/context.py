"""The per-request context: the Django request and response, and fresh DataLoaders."""

from dataclasses import dataclass, field

from strawberry.django.context import StrawberryDjangoContext

from schema.loaders import Loaders


@dataclass
class Context(StrawberryDjangoContext):
    # A new set for every request: loaders cache what they load, and a cache shared
    # between requests would serve one client's stale or unauthorised rows to another.
    loaders: Loaders = field(default_factory=Loaders)
