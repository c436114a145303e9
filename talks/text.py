"""Text that every database stores alike: no NUL characters, no unpaired surrogates.

PostgreSQL refuses both (psycopg2 raises before the statement is sent) while SQLite
stores NUL and cannot encode a lone surrogate either; so both are refused here, before
any statement: by the services' validation for what is written, by the importer for its
records, by the API for what a query asks.
"""

from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator

SURROGATES = "Unpaired surrogate characters (invalid Unicode) are not allowed."

prohibit_null_characters = ProhibitNullCharactersValidator()


def text_error(value: str) -> ValidationError | None:
    """Why `value` cannot be stored as text, or None if it can."""
    try:
        prohibit_null_characters(value)
        value.encode("utf-8")  # fails only on unpaired surrogates
    except ValidationError as error:
        return error
    except UnicodeEncodeError:
        return ValidationError(SURROGATES, code="invalid_characters")
    return None


def bad_text(value: Any, path: str = "") -> Iterator[tuple[str, ValidationError]]:
    """Each string nested in `value` (in dicts and lists) that cannot be stored, with
    where it is (`filter.search`, `speakers[2]`)."""
    if isinstance(value, str):
        if (error := text_error(value)) is not None:
            yield path, error
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from bad_text(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from bad_text(item, f"{path}[{index}]")
