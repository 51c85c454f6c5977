"""Recognising secrets and masking them before they reach a repr, a log line or an error message.

One meaning everywhere (core, clients, storage, executors):

- a *secret key* is a name that looks like it holds a credential (`is_secret_key`);
- a *secret value* is the value under a secret key, a pydantic ``SecretStr``/``SecretBytes``, a
  params-model field marked ``json_schema_extra={'secret': True}`` (`secret_field_names`), or any
  value the caller knows to be secret (`scrub`);
- a URL is shown without its ``user:password@`` part and without the values of credential query
  parameters (``X-Amz-Signature``, ``token``, ``sig`` ...) or its fragment (`redact_url`).

Masked values become ``***``. Only the standard library is imported here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, overload

__all__ = [
    'MASK',
    'PARAMS_ENV_VAR',
    'SECRET_MARKER',
    'RedactedError',
    'is_secret_key',
    'is_secret_value',
    'redact',
    'redact_url',
    'scrub',
    'scrub_exception',
    'secret_field_names',
    'secret_values',
    'withhold',
]

MASK = '***'

#: The environment variable the subprocess entrypoint reads the action params from. Its value is
#: all the params at once, so it is treated as a secret wherever it is shown.
PARAMS_ENV_VAR = 'SYNAPSE_ACTION_PARAMS'

#: ``Field(json_schema_extra=SECRET_MARKER)`` marks a params-model field secret whatever its name.
SECRET_MARKER: dict[str, Any] = {'secret': True}

# Whole-name fragments: present anywhere in the name, they make it secret.
_SECRET_FRAGMENT = re.compile(
    r'passw(or)?d|passphrase|secret|credential|cookie|session|dsn|signature|private|'
    r'token(?!i[sz])',  # token, access_token, tokens; not tokenizer / tokenise
    re.IGNORECASE,
)
# Words (after splitting on separators and camelCase) that make a name secret.
_SECRET_WORD = re.compile(
    r'.*keys?'  # key, api_key, apiKey, secretkey, private_keys (not keyword, keypoints)
    r'|auth(?!or(?!i[sz])).*'  # auth, authorization, x-auth; not author, authority
    r'|.*oauth.*|pwd|sig|otp',
    re.IGNORECASE,
)
_CAMEL = re.compile(r'(?<=[a-z0-9])(?=[A-Z])')
_SEPARATORS = re.compile(r'[^A-Za-z0-9]+')

# Query parameters that carry a credential although their name does not say so.
_CREDENTIAL_QUERY_PARAMS = frozenset({'sig', 'policy', 'code', 'googleaccessid', 'key-pair-id'})
_URL = re.compile(r'[A-Za-z][A-Za-z0-9+.\-]*://[^\s\'"<>`]+')
_NETLOC = re.compile(r'^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^/?#@]*@)?(?P<rest>.*)$', re.S)


def is_secret_key(key: object) -> bool:
    """True for names that look like they hold a credential.

    Matches names containing password/passwd/passphrase, secret, token (not tokenizer), credential,
    cookie, session, dsn, signature or private, and names with a word ending in ``key``/``keys``
    (``api_key``, ``apiKey``, ``secretkey``; a bare ``key`` is an identifier and does not count),
    ``auth...`` (not ``author``/``authority``), ``pwd``, ``sig`` or ``otp``, in any case,
    with ``_``, ``-``, ``.`` or camelCase between words: ``SYNAPSE_ACCESS_TOKEN``, ``password``,
    ``aws_secret_key``, ``apiKey``, ``X-Api-Key``, ``Authorization``. The params variable
    (`PARAMS_ENV_VAR`) counts as secret too.
    """
    if not isinstance(key, str) or not key:
        return False
    if key == PARAMS_ENV_VAR or _SECRET_FRAGMENT.search(key):
        return True
    words = [word for word in _SEPARATORS.split(_CAMEL.sub('_', key)) if word]
    if len(words) == 1 and words[0].lower() in ('key', 'keys'):
        return False  # a bare ``key`` names an identifier (a storage key, a message key), not a secret
    return any(_SECRET_WORD.fullmatch(word) for word in words)


def is_secret_value(value: object) -> bool:
    """True for pydantic ``SecretStr``/``SecretBytes`` (anything with ``get_secret_value``)."""
    return callable(getattr(value, 'get_secret_value', None)) and not isinstance(value, type)


def _redact_one_url(url: str) -> str:
    match = _NETLOC.match(url)
    if match is None:
        return url
    scheme, userinfo, rest = match.group('scheme'), match.group('userinfo'), match.group('rest')
    out = scheme + (f'{MASK}@' if userinfo else '')
    rest, hash_, fragment = rest.partition('#')
    base, question, query = rest.partition('?')
    out += base
    if question:
        pairs = []
        for pair in query.split('&'):
            name, equals, value = pair.partition('=')
            lowered = name.lower()
            credential = (
                is_secret_key(name) or lowered in _CREDENTIAL_QUERY_PARAMS or lowered.startswith('x-goog-')
            )
            if not equals:
                pairs.append(pair)
            elif credential and value:
                pairs.append(f'{name}={MASK}')
            else:
                pairs.append(pair)
        out += '?' + '&'.join(pairs)
    if hash_:
        out += '#' + (MASK if fragment else '')
    return out


def redact_url(text: str) -> str:
    """`text` with every URL in it made safe to show.

    In each URL the ``user:password@`` part (or a bare token before ``@``) becomes ``***@``, the
    values of credential query parameters (secret-looking names such as ``token``,
    ``X-Amz-Signature``, ``X-Amz-Credential``, ``api_key``, and ``sig``, ``Policy``, ``code``,
    ``GoogleAccessId``, ``Key-Pair-Id``, ``X-Goog-*``) become ``***`` and a fragment becomes ``#***``.
    Other query parameters (``page=2``) stay readable. Text without URLs is returned unchanged.
    """
    if not isinstance(text, str) or '://' not in text:
        return text
    return _URL.sub(lambda m: _redact_one_url(m.group(0)), text)


def secret_field_names(model: Any) -> frozenset[str]:
    """Names of the fields of a pydantic model class (or instance) that hold secrets.

    A field is secret when its name is secret-looking (`is_secret_key`), its annotation is
    ``SecretStr``/``SecretBytes`` (or an optional of one), or it was declared with
    ``Field(json_schema_extra={'secret': True})`` (`SECRET_MARKER`). Aliases count too. Works
    without importing pydantic; anything that is not a model gives an empty set.
    """
    fields = getattr(model if isinstance(model, type) else type(model), 'model_fields', None)
    if not isinstance(fields, Mapping):
        return frozenset()
    names: set[str] = set()
    for name, info in fields.items():
        extra = getattr(info, 'json_schema_extra', None)
        marked = isinstance(extra, Mapping) and extra.get('secret') is True
        annotation = getattr(info, 'annotation', None)
        typed = _is_secret_type(annotation)
        alias = getattr(info, 'alias', None)
        if marked or typed or is_secret_key(name) or is_secret_key(alias):
            names.add(name)
            if isinstance(alias, str):
                names.add(alias)
    return frozenset(names)


def _is_secret_type(annotation: Any) -> bool:
    if annotation is None:
        return False
    if isinstance(annotation, type) and any(
        base.__name__ in ('SecretStr', 'SecretBytes', '_SecretBase', 'Secret') for base in annotation.__mro__
    ):
        return True
    return any(_is_secret_type(arg) for arg in getattr(annotation, '__args__', ()) or ())


def _field_models(model: Any) -> dict[str, Any]:
    """Nested model classes by field name (so secrets inside sub-models are found too)."""
    fields = getattr(model if isinstance(model, type) else type(model), 'model_fields', None)
    if not isinstance(fields, Mapping):
        return {}
    out = {}
    for name, info in fields.items():
        annotation = getattr(info, 'annotation', None)
        candidates = [annotation, *(getattr(annotation, '__args__', ()) or ())]
        for candidate in candidates:
            if isinstance(candidate, type) and isinstance(getattr(candidate, 'model_fields', None), Mapping):
                out[name] = candidate
                alias = getattr(info, 'alias', None)
                if isinstance(alias, str):
                    out[alias] = candidate
                break
    return out


def redact(value: Any, model: Any = None, _depth: int = 0) -> Any:
    """A copy of `value` with secrets masked; `value` itself is never changed.

    Mappings: values under secret keys (and under the secret fields of `model`, a pydantic model
    class describing `value`) become ``***`` unless empty. Lists and tuples are walked; strings
    have their URLs redacted (`redact_url`); ``SecretStr``/``SecretBytes`` become ``***``; pydantic
    models are dumped first. Other objects are returned unchanged. Depth is bounded.
    """
    if _depth > 20:
        return value
    if is_secret_value(value):
        return MASK
    if model is None and hasattr(type(value), 'model_fields') and hasattr(value, 'model_dump'):
        model, value = type(value), value.model_dump()
    if isinstance(value, Mapping):
        secret = secret_field_names(model) if model is not None else frozenset()
        nested = _field_models(model) if model is not None else {}
        return {
            k: (
                MASK
                if (k in secret or is_secret_key(k)) and v not in (None, '')
                else redact(v, nested.get(k), _depth + 1)
            )
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(redact(v, model, _depth + 1) for v in value)
    if isinstance(value, str):
        return redact_url(value)
    return value


def withhold(value: Any, model: Any = None) -> tuple[Any, list[list[Any]]]:
    """A copy of `value` with each secret replaced by ``***``, and the key paths of those replaced.

    For state written to disk and read back later (pipeline checkpoints), where the caller must be
    able to put the exact values back (from the paths): unlike `redact`, a string holding URL
    credentials is withheld whole. The rules are `redact`'s: secret-looking keys, the secret fields
    of `model` (a pydantic model class describing `value`, or a sequence of them: a key is secret
    when any of them says so; nested models are followed), ``SecretStr``/``SecretBytes`` values.
    Empty values (None, ``''``) are kept.
    """
    models = [m for m in (model if isinstance(model, list | tuple) else [model]) if m is not None]
    return _withhold(value, models, (), 0)


def _withhold(
    value: Any, models: list[Any], path: tuple[Any, ...], depth: int
) -> tuple[Any, list[list[Any]]]:
    if depth > 20:
        return value, []
    if is_secret_value(value):
        return MASK, [list(path)]
    if isinstance(value, Mapping):
        secret = frozenset().union(*(secret_field_names(m) for m in models))
        nested = [_field_models(m) for m in models]
        copy: dict[Any, Any] = {}
        withheld: list[list[Any]] = []
        for key, item in value.items():
            if (key in secret or is_secret_key(key)) and item not in (None, ''):
                copy[key] = MASK
                withheld.append([*path, key])
            else:
                inner_models = [n[key] for n in nested if key in n]
                copy[key], inner = _withhold(item, inner_models, (*path, key), depth + 1)
                withheld += inner
        return copy, withheld
    if isinstance(value, list | tuple):
        items, withheld = [], []
        for index, item in enumerate(value):
            clean, inner = _withhold(item, models, (*path, index), depth + 1)
            items.append(clean)
            withheld += inner
        return items, withheld
    if isinstance(value, str) and redact_url(value) != value:
        return MASK, [list(path)]
    return value, []


def secret_values(value: Any, model: Any = None, _depth: int = 0) -> list[str]:
    """The secret strings inside `value` (by the rules of `redact`), longest first, for `scrub`."""
    found: set[str] = set()

    def walk(item: Any, item_model: Any, depth: int, inside_secret: bool) -> None:
        if depth > 20:
            return
        if is_secret_value(item):
            item = item.get_secret_value()
            inside_secret = True
        if item_model is None and hasattr(type(item), 'model_fields') and hasattr(item, 'model_dump'):
            item_model, item = type(item), item.model_dump()
        if isinstance(item, Mapping):
            secret = secret_field_names(item_model) if item_model is not None else frozenset()
            nested = _field_models(item_model) if item_model is not None else {}
            for k, v in item.items():
                walk(v, nested.get(k), depth + 1, inside_secret or k in secret or is_secret_key(k))
        elif isinstance(item, list | tuple):
            for v in item:
                walk(v, item_model, depth + 1, inside_secret)
        elif inside_secret and isinstance(item, str | bytes | int | float) and not isinstance(item, bool):
            text = item.decode('utf-8', 'replace') if isinstance(item, bytes) else str(item)
            if len(text) >= 4:
                found.add(text)
        elif isinstance(item, str) and redact_url(item) != item:
            found.add(item)

    walk(value, model, _depth, False)
    return sorted(found, key=len, reverse=True)


@overload
def scrub(value: str, secrets: Iterable[str | None]) -> str: ...
@overload
def scrub(value: object, secrets: Iterable[str | None]) -> Any: ...
def scrub(value: object, secrets: Iterable[str | None]) -> Any:
    """`value` with every occurrence of each known secret (4 characters or more) replaced by ``***``.

    Strings are scrubbed; mappings, lists and tuples are walked (keys too); other values pass.
    """
    known = sorted({s for s in secrets if isinstance(s, str) and len(s) >= 4}, key=len, reverse=True)
    if not known:
        return value

    def one(item: Any) -> Any:
        if isinstance(item, str):
            for secret in known:
                if secret in item:
                    item = item.replace(secret, MASK)
            return item
        if isinstance(item, Mapping):
            return {one(k): one(v) for k, v in item.items()}
        if isinstance(item, list | tuple):
            return type(item)(one(v) for v in item)
        return item

    return one(value)


class RedactedError(Exception):
    """Stands in, in an exception chain, for an exception whose text held a secret that could not be
    masked in place (its ``__str__`` is computed from internal state, as pydantic's
    ``ValidationError``'s is). Its message is the original's type and text, masked; `original_type`
    names the original class. The traceback and the rest of the chain are kept."""

    def __init__(self, message: str, original_type: str = '') -> None:
        super().__init__(message)
        self.original_type = original_type


def scrub_exception(exc: BaseException, secrets: Iterable[str | None]) -> BaseException:
    """Mask every occurrence of `secrets` in what a traceback of `exc` prints, whoever prints it.

    Walks `exc`, its ``__cause__`` / ``__context__`` chain and the members of exception groups, and
    masks in place: string arguments, the text of other arguments that hold a secret (a dict, bytes),
    an ``OSError``'s file names and ``__notes__``. An exception whose text still holds a secret after
    that is replaced in the chain by a `RedactedError`; the exception to raise is returned (`exc`
    itself unless it had to be replaced).
    """
    known = sorted({s for s in secrets if isinstance(s, str) and len(s) >= 4}, key=len, reverse=True)
    if not known:
        return exc

    def holds(text: str) -> bool:
        return any(secret in text for secret in known)

    def clean_arg(arg: Any) -> Any:
        if isinstance(arg, str):
            return scrub(arg, known)
        try:
            text = arg.decode('utf-8', 'replace') if isinstance(arg, bytes | bytearray) else repr(arg)
        except Exception:  # a repr that fails: leave the argument as it is
            return arg
        return scrub(text, known) if holds(text) else arg

    def clean(current: BaseException) -> BaseException:
        try:
            current.args = tuple(clean_arg(arg) for arg in current.args)
            if isinstance(current, OSError):
                for name in ('filename', 'filename2'):
                    value = getattr(current, name, None)
                    if value is not None:
                        setattr(current, name, clean_arg(value))
            notes = getattr(current, '__notes__', None)
            if isinstance(notes, list):
                current.__notes__ = [clean_arg(note) for note in notes]
        except (AttributeError, TypeError):
            pass
        try:
            text = str(current)
        except Exception:
            text = ''
        if not holds(text):
            return current
        stand_in = RedactedError(
            f'{type(current).__name__}: {scrub(text, known)}', type(current).__qualname__
        )
        stand_in.__cause__, stand_in.__context__ = current.__cause__, current.__context__
        stand_in.__suppress_context__ = current.__suppress_context__
        return stand_in.with_traceback(current.__traceback__)

    seen: dict[int, BaseException] = {}

    def walk(current: BaseException | None, depth: int = 0) -> BaseException | None:
        if current is None or depth > 100:
            return current
        if id(current) in seen:
            return seen[id(current)]
        seen[id(current)] = current
        replacement = clean(current)
        seen[id(current)] = replacement
        for member in getattr(current, 'exceptions', None) or ():
            if isinstance(member, BaseException):
                walk(member, depth + 1)  # members of a group cannot be swapped: cleaned in place
        suppress = current.__suppress_context__  # assigning __cause__ would set it
        cause, context = walk(current.__cause__, depth + 1), walk(current.__context__, depth + 1)
        if replacement.__cause__ is not cause:
            replacement.__cause__ = cause
        if replacement.__context__ is not context:
            replacement.__context__ = context
        replacement.__suppress_context__ = suppress
        return replacement

    result = walk(exc)
    return exc if result is None else result
