"""Persisted queries: Apollo's automatic persisted queries, and a safelist.

A client sends `extensions: {"persistedQuery": {"version": 1, "sha256Hash": H}}`:
- without `query`: the text kept under H runs. Unknown, the answer is the error
  PERSISTED_QUERY_NOT_FOUND (HTTP 200, as Apollo Server answers), and the client sends
  the query again with its text;
- with `query`: H must be the text's SHA-256; once the text has parsed and validated, it
  is kept under H in Django's cache (Redis when REDIS_URL is set), so that other workers
  and servers know it too.
The text then runs like any other: strawberry's parser and validation caches key by it.

With GRAPHQL_PERSISTED_ONLY, only the operations registered from a manifest
(`register_operations`, table talks_persistedoperation) run, sent by hash or as text;
anything else is refused with PERSISTED_QUERY_NOT_ALLOWED before it is parsed, except
for a staff user (token or session), who may send any query.
"""

import hashlib
import re
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from graphql import GraphQLError, parse, validate

from edge.protocol import RequestError
from edge.shared import cache_get, cache_set, shared_cache
from edge.state import RequestState
from internals import graphql_schema
from schema.schema import schema
from talks.models import PersistedOperation

NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
NOT_ALLOWED = "PERSISTED_QUERY_NOT_ALLOWED"
SHA256 = re.compile(r"[0-9a-f]{64}")
# Client-sent texts and registered ones are kept apart: only the latter are a safelist.
SENT_PREFIX, REGISTERED_PREFIX = "apq:", "operation:"


def sha256_of(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


@dataclass(frozen=True)
class OperationText:
    """The text a request runs, and what becomes of it."""

    query: str
    sha256: str | None = None  # the hash the client sent, if it sent one
    keep_after_validation: bool = False  # a new text for the APQ store


def persisted_hash(extensions: dict | None) -> str | None:
    """The sha256Hash of a well-formed `persistedQuery` extension; None without one."""
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    if (
        not isinstance(persisted, dict)
        or persisted.get("version") != 1
        or not isinstance(persisted.get("sha256Hash"), str)
        or not SHA256.fullmatch(persisted["sha256Hash"])
    ):
        raise RequestError(
            400,
            "`extensions.persistedQuery` must be "
            '{"version": 1, "sha256Hash": "<64 lowercase hex digits>"}.',
        )
    return persisted["sha256Hash"]


@sync_to_async
def _registered_in_database(sha256: str) -> str | None:
    return PersistedOperation.objects.filter(sha256=sha256).values_list("query", flat=True).first()


async def registered_query(sha256: str) -> str | None:
    """The text registered under `sha256`, from the cache or else the database."""
    query = await cache_get(REGISTERED_PREFIX + sha256)
    if query is None:
        query = await _registered_in_database(sha256)
        if query is not None:
            await cache_set(REGISTERED_PREFIX + sha256, query)
    return query


async def _may_send_anything(request: HttpRequest, state: RequestState) -> bool:
    user = state.token_user
    if user is None and hasattr(request, "auser"):  # not on a public GET: no session
        user = await request.auser()
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


async def operation_of(
    request: HttpRequest, state: RequestState, query: str | None, extensions: dict | None
) -> OperationText:
    """The operation a request runs, or a RequestError saying why it may not."""
    sha256 = persisted_hash(extensions)
    if query is not None and sha256 is not None and sha256_of(query) != sha256:
        raise RequestError(
            400, "`extensions.persistedQuery.sha256Hash` is not the SHA-256 of `query`."
        )
    if query is None and sha256 is None:
        raise RequestError(400, "The request has no GraphQL `query` string.")
    if settings.GRAPHQL_PERSISTED_ONLY:
        known = await registered_query(sha256 or sha256_of(query))
        if known is not None:
            return OperationText(known, sha256)
        if query is None:
            raise RequestError(200, "PersistedQueryNotFound", NOT_FOUND)
        if await _may_send_anything(request, state):
            return OperationText(query, sha256)
        raise RequestError(
            400,
            "This server runs only registered operations: send the sha256Hash of one.",
            NOT_ALLOWED,
        )
    if sha256 is None:
        return OperationText(query)
    if query is not None:
        return OperationText(query, sha256, keep_after_validation=True)
    known = await cache_get(SENT_PREFIX + sha256) or await registered_query(sha256)
    if known is None:
        raise RequestError(200, "PersistedQueryNotFound", NOT_FOUND)
    return OperationText(known, sha256)


async def keep(operation: OperationText) -> None:
    """Keep a validated text under its hash, for the requests that send only the hash."""
    if operation.keep_after_validation:
        await cache_set(SENT_PREFIX + operation.sha256, operation.query)


def operations_of_manifest(manifest) -> dict[str, str]:
    """{sha256: query} of a manifest: Apollo's (`apollo-persisted-query-manifest`) or
    Relay's and others' plain `{hash: query}`; ValueError if it is neither."""
    if isinstance(manifest, dict) and manifest.get("format") == "apollo-persisted-query-manifest":
        try:
            return {entry["id"]: entry["body"] for entry in manifest["operations"]}
        except (KeyError, TypeError) as error:
            message = "Each Apollo manifest operation needs an `id` and a `body`."
            raise ValueError(message) from error
    if isinstance(manifest, dict) and all(
        isinstance(key, str) and isinstance(value, str) for key, value in manifest.items()
    ):
        return manifest
    raise ValueError(
        'A manifest is Apollo\'s {"format": "apollo-persisted-query-manifest", ...} '
        "or a JSON object of sha256 hash to query text."
    )


def register_operations(operations: dict[str, str], *, prune: bool = False) -> dict[str, int]:
    """Register operations for the safelist, all or none: each hash must be its text's
    SHA-256 and each text must validate against the schema. Returns how many were new,
    already registered and (with `prune`) removed."""
    problems = []
    names = {}
    for sha256, query in operations.items():
        if not SHA256.fullmatch(sha256) or sha256_of(query) != sha256:
            problems.append(f"{sha256[:16]}…: not the SHA-256 of its query")
            continue
        try:
            document = parse(query)
        except GraphQLError as error:
            problems.append(f"{sha256[:16]}…: {error.message}")
            continue
        errors = validate(graphql_schema(schema), document)
        if errors:
            problems.append(f"{sha256[:16]}…: {errors[0].message}")
            continue
        named = [d.name.value for d in document.definitions if getattr(d, "name", None)]
        names[sha256] = named[0] if len(named) == 1 else ""
    if problems:
        raise ValueError("Nothing registered: " + "; ".join(problems))
    counts = {"new": 0, "already registered": 0, "removed": 0}
    with transaction.atomic():
        existing = set(PersistedOperation.objects.values_list("sha256", flat=True))
        for sha256, query in operations.items():
            if sha256 not in existing:
                PersistedOperation.objects.create(sha256=sha256, query=query, name=names[sha256])
                counts["new"] += 1
            else:
                counts["already registered"] += 1
        if prune:
            stale = set(existing) - set(operations)
            counts["removed"] = PersistedOperation.objects.filter(sha256__in=stale).delete()[0]
            for sha256 in stale:
                shared_cache().delete(REGISTERED_PREFIX + sha256)
    return counts
