"""Documents: parsed and validated once per distinct text, off the event loop, and never
at a cost without a bound.

Strawberry's `ParserCache` and `ValidationCache` parse and validate a new text on the
event loop, where a costly one holds up every other request of the process, and
graphql-core's validation can be made costly: overlapping fields are compared in pairs,
and strawberry's `selected_fields` (our lookahead reads it) expands every fragment
spread anew, so eight levels of fragments each spreading the next four times are 4^8
fields. `DocumentCache` takes their place:

- a text seen before is served from a bounded LRU cache, on the event loop (a dict
  look-up); a new one is parsed, and then validated, on a worker thread;
- before any validation rule runs, each operation's fields are counted with fragments
  expanded (each fragment counted once, however often it is spread) and refused over
  GRAPHQL_MAX_FIELDS; graphql-core's own budget for comparing overlapping fields is
  lowered to `MERGE_BUDGET` comparisons;
- the CPU time a new document took is left in the context (`Context.document_cpu_ms`),
  for the HTTP edge to charge to the client's rate limit;
- validation suggestions ("Did you mean ...?") are left out when introspection is off.
"""

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from typing import Any

from django.conf import settings
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    parse,
    validate,
)
from graphql.validation import OverlappingFieldsCanBeMergedRule
from graphql.validation.validate import ValidationAbortedError
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from internals import graphql_schema, merging_rule_with_budget
from schema.errors import VALIDATION_FAILED, QueryTooComplex, with_code

CACHE_SIZE = 512  # distinct query texts whose parse and validation results are kept
# Comparisons graphql-core's overlapping-fields rule may make for one document before it
# gives up (its own default, 500,000, took 0.8 s of CPU here). The heaviest document of
# our clients, GraphiQL's introspection, needs a few hundred.
MERGE_BUDGET = 20_000
TOO_COSTLY_TO_VALIDATE = (
    "The document is too costly to check: it repeats the same fields too often (each "
    "must be compared with every other), or nests fragments too deeply."
)
# What graphql-core says when it gives up a validation for its cost (not for the number
# of errors it found, which it says differently).
ABORTED = "Validation aborted."


class _Kept:
    """A bounded, thread-safe LRU mapping."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key) -> Any:
        with self.lock:
            found = self.entries.get(key)
            if found is not None:
                self.entries.move_to_end(key)
            return found

    def put(self, key, value) -> None:
        with self.lock:
            self.entries[key] = value
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


# (text, parse options) -> DocumentNode
_parsed = _Kept(CACHE_SIZE)
# (id of the document, rules, suggestions hidden) -> (the document, its errors). By id:
# graphql-core hashes a document by walking all of it, and equal documents are rare
# (their nodes' places in the text must match too).
_validated = _Kept(CACHE_SIZE)


async def _on_a_thread(work: Callable[[], Any], spent: Callable[[float], None]) -> Any:
    """`work()` on a worker thread; `spent` is told the CPU milliseconds it took there,
    whether it returned or raised."""

    def timed() -> tuple[Any, BaseException | None, float]:
        started = time.thread_time()
        try:
            result, error = work(), None
        except Exception as raised:
            result, error = None, raised
        return result, error, (time.thread_time() - started) * 1000

    result, error, cpu_ms = await asyncio.to_thread(timed)
    spent(cpu_ms)
    if error is not None:
        raise error
    return result


def _fields(
    selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    sizes: dict[str, int],
) -> int:
    """How many fields `selection_set` selects with every fragment expanded; a
    fragment's size is worked out once (`sizes`), however often it is spread."""
    count = 0
    for node in selection_set.selections:
        if isinstance(node, FieldNode):
            count += 1
            if node.selection_set is not None:
                count += _fields(node.selection_set, fragments, sizes)
        elif isinstance(node, InlineFragmentNode):
            count += _fields(node.selection_set, fragments, sizes)
        elif isinstance(node, FragmentSpreadNode):
            name = node.name.value
            if name not in sizes and name in fragments:
                sizes[name] = 0  # while it is counted: a cycle, which validation refuses
                sizes[name] = _fields(fragments[name].selection_set, fragments, sizes)
            count += sizes.get(name, 0)
    return count


def check_size(document: DocumentNode) -> None:
    """Refuse an operation that selects more than GRAPHQL_MAX_FIELDS fields, fragments
    expanded: work that grows with that number (selection lookahead, field merging)
    must not grow without bound."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    sizes: dict[str, int] = {}
    limit = settings.GRAPHQL_MAX_FIELDS
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            count = _fields(definition.selection_set, fragments, sizes)
            if count > limit:
                name = f"'{definition.name.value}'" if definition.name else "The operation"
                raise QueryTooComplex(
                    f"{name} selects {count:,} fields once its fragments are expanded; the "
                    f"limit is {limit:,}.",
                    definition,
                )


_BudgetedMerging = merging_rule_with_budget(MERGE_BUDGET)


def validation_rules(rules: tuple[type[ValidationRule], ...]) -> tuple:
    """The rules a document is validated with: the context's, as strawberry's
    `validate_document` completes them, the merging rule with our budget."""
    rules = (*rules, MaybeNullValidationRule, OneOfInputValidationRule)
    return tuple(
        _BudgetedMerging if rule is OverlappingFieldsCanBeMergedRule else rule for rule in rules
    )


def validate_now(schema, document: DocumentNode, rules: tuple) -> list[GraphQLError]:
    errors = validate(
        schema,
        document,
        validation_rules(rules),
        hide_suggestions=not settings.GRAPHQL_INTROSPECTION,
    )
    return [
        QueryTooComplex(TOO_COSTLY_TO_VALIDATE)
        if isinstance(error, ValidationAbortedError) and error.message == ABORTED
        else with_code(error, VALIDATION_FAILED)
        for error in errors
    ]


class DocumentCache(SchemaExtension):
    """Parses and validates as described above, in place of strawberry's caches."""

    def _spent(self, cpu_ms: float) -> None:
        context = self.execution_context.context
        if hasattr(context, "document_cpu_ms"):
            context.document_cpu_ms += cpu_ms

    async def on_parse(self) -> AsyncIterator[None]:
        context = self.execution_context
        options = context.parse_options
        key = (context.query, tuple(sorted(options.items())))
        document = _parsed.get(key)
        if document is None:
            document = await _on_a_thread(lambda: parse(context.query, **options), self._spent)
            _parsed.put(key, document)
        context.graphql_document = document
        yield

    async def on_validate(self) -> AsyncIterator[None]:
        context = self.execution_context
        document = context.graphql_document
        check_size(document)
        hide = not settings.GRAPHQL_INTROSPECTION
        key = (id(document), context.validation_rules, hide)
        kept = _validated.get(key)
        if kept is not None and kept[0] is document:
            errors = kept[1]
        else:
            schema = graphql_schema(context.schema)
            rules = context.validation_rules
            errors = await _on_a_thread(lambda: validate_now(schema, document, rules), self._spent)
            _validated.put(key, (document, errors))
        context.pre_execution_errors = errors
        yield
