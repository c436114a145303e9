"""A quick yes for rows that `services.validation_problems` would pass, for the importer.

A first import checks a million new talks. `full_clean` spends about 50 µs on each, most
of it Django's plumbing around validators that pass: `Field.clean` converting a value
that is already of the field's type, `Field.validate` walking the choices, one call and
`try` per validator. `RowCheck(model).passes(obj)` gets the same yes in a fraction of
that:

- it calls the very validators Django would (slugs, time zones, limits), but compares
  lengths, limits and choices itself, for the validator classes whose rule is that
  comparison; a URL first meets a narrower pattern of URLs that URLValidator surely
  accepts (`SURE_URL`), and only another URL meets the validator;
- it skips `to_python` only for a value of the exact type that `to_python` hands back
  unchanged (a `str` on a text field, an `int` on an integer field, a `date`, an aware
  or naive `datetime`); any other value, or any other kind of field, goes through the
  field's own `clean`;
- it calls the model's `clean()`.

It never answers the problems themselves: on anything it would not pass it says False,
and the caller asks `validation_problems`, whose messages and codes the import reports.
So a doubt costs time, never a different answer. The assumptions are Django's
`Model.clean_fields` and `Field.clean` of the release pinned in pyproject.toml;
tests/talks/test_fast_validation.py compares both answers field by field and on real
records, so an upgrade that changes them fails there.
"""

import datetime
import re
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinValueValidator,
    ProhibitNullCharactersValidator,
    RegexValidator,
    URLValidator,
)
from django.db import models
from django.db.models.expressions import DatabaseDefault

from talks.text import text_error

TEXT_FIELDS = (
    models.CharField,
    models.TextField,
    models.SlugField,
    models.URLField,
)
INTEGER_FIELDS = (
    models.IntegerField,
    models.SmallIntegerField,
    models.BigIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.PositiveBigIntegerField,
)
# Field class: the type whose values its to_python returns as they are.
UNCHANGED_TYPE: dict[type, type] = {
    **dict.fromkeys(TEXT_FIELDS, str),
    **dict.fromkeys(INTEGER_FIELDS, int),
    models.DateField: datetime.date,
    models.DateTimeField: datetime.datetime,
}

# Validator class: when its limit is exceeded (`compare` of the clean value and the limit).
LIMITS = {
    MaxLengthValidator: lambda value, limit: len(value) > limit,
    MaxValueValidator: lambda value, limit: value > limit,
    MinValueValidator: lambda value, limit: value < limit,
}

# URLs that URLValidator surely accepts (it has the final say on any other): http(s),
# an ASCII host name of labels that neither start nor end with "-", a top-level domain of
# letters, no user or port, a path of printable ASCII. Each part is a narrower case of
# the validator's own pattern; urlsplit accepts every such URL; the host's 253-character
# limit is checked beside it.
SURE_URL = re.compile(
    r"https?://(?P<host>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})"
    r"(?:/[!-~]*)?",
    re.ASCII,
)


def sure_url(value: str, max_length: int) -> bool:
    """True only for a URL that URLValidator(max_length=max_length) accepts."""
    if len(value) > max_length or (sure := SURE_URL.fullmatch(value)) is None:
        return False
    return len(sure["host"]) <= 253


Check = Callable[[models.Model], bool]


def _validator_check(validator) -> Callable[[object], bool]:
    """The validator as a yes/no on a value already of the field's type: its own rule
    for the classes below (as their `__call__` has it), else a call to it."""

    def call(value) -> bool:
        try:
            validator(value)
        except ValidationError:
            return False
        return True

    kind = type(validator)
    if kind in LIMITS and not callable(validator.limit_value):
        limit, exceeds = validator.limit_value, LIMITS[kind]
        return lambda value: not exceeds(value, limit)
    if kind is ProhibitNullCharactersValidator:
        return lambda value: "\x00" not in str(value)
    if kind is URLValidator and {"http", "https"} <= set(validator.schemes):
        max_length = validator.max_length
        return lambda value: sure_url(value, max_length) or call(value)
    if kind is RegexValidator:
        # Django keeps the pattern lazily compiled: each use goes through a proxy.
        pattern = re.compile(validator.regex.pattern, validator.regex.flags)
        inverse = validator.inverse_match
        return lambda value: (pattern.search(str(value)) is None) is inverse
    return call


def _field_check(field: models.Field) -> Check:
    """The field's part of `clean_fields`, as a yes/no on an object."""
    attname, blank = field.attname, field.blank
    empty_values = field.empty_values
    exact_type = UNCHANGED_TYPE.get(type(field))
    choices = None if field.choices is None else frozenset(key for key, _ in field.flatchoices)
    validate = field.editable
    validators = [_validator_check(v) for v in field.validators]

    def stock(obj: models.Model, value) -> bool:
        try:
            setattr(obj, attname, field.clean(value, obj))
        except ValidationError:
            return False
        return True

    def check(obj: models.Model) -> bool:
        value = getattr(obj, attname)
        if blank and value in empty_values:
            return True
        if isinstance(value, DatabaseDefault):
            return True
        if exact_type is None or type(value) is not exact_type:
            return stock(obj, value)
        if value == "":  # of these types, the one value in `empty_values`
            return not (validate and not blank)
        if validate and choices is not None and value not in choices:
            return False
        return all(valid(value) for valid in validators)

    return check


class RowCheck:
    """`passes(obj)`: True only if `validation_problems(obj)` is empty (see above)."""

    def __init__(self, model: type[models.Model]) -> None:
        self.text_attnames = [f.attname for f in model._meta.concrete_fields]
        self.checks = [
            _field_check(f) for f in model._meta.fields if not f.is_relation and not f.generated
        ]
        self.has_clean = model.clean is not models.Model.clean

    def passes(self, obj: models.Model) -> bool:
        for attname in self.text_attnames:  # `text.text_error`'s rule
            value = getattr(obj, attname)
            if type(value) is str:
                if "\x00" in value or not _encodes(value):
                    return False
            elif isinstance(value, str) and text_error(value) is not None:
                return False
        if not all(check(obj) for check in self.checks):
            return False
        if self.has_clean:
            try:
                obj.clean()
            except ValidationError:
                return False
        return True


def _encodes(value: str) -> bool:
    try:
        value.encode("utf-8")  # fails only on unpaired surrogates
    except UnicodeEncodeError:
        return False
    return True


_checks: dict[type[models.Model], RowCheck] = {}


def passes(obj: models.Model) -> bool:
    """Whether `obj` surely passes `validation_problems`: False when unsure."""
    check = _checks.get(type(obj))
    if check is None:
        check = _checks[type(obj)] = RowCheck(type(obj))
    return check.passes(obj)
