"""Internationalised messages for the SDK and for plugins.

The SDK's own user-facing messages live in catalogues (``en`` and ``ko``), keyed by a message
code. Plugins can pass their own translations as a `LocalizedMessage` or a ``{lang: text}`` dict.

The language is chosen, first match wins: the ``language=`` of the call, the context's language
(``RuntimeContext.language`` / an executor's ``language=``), the ``SYNAPSE_LANGUAGE`` variable,
then English. A language without a translation falls back to English, then to the key itself.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Mapping
from typing import Any

__all__ = [
    'DEFAULT_LANGUAGE',
    'LocalizedMessage',
    'get_catalog',
    'normalize_language',
    'register_messages',
    'render',
    'resolve_language',
    'supported_languages',
    'translate',
]

DEFAULT_LANGUAGE = 'en'

_lock = threading.RLock()
_catalogs: dict[str, dict[str, str]] | None = None


def _load() -> dict[str, dict[str, str]]:
    global _catalogs
    with _lock:
        if _catalogs is None:
            from synapse_sdk.i18n.catalog import en, ko

            _catalogs = {'en': dict(en.MESSAGES), 'ko': dict(ko.MESSAGES)}
        return _catalogs


def normalize_language(language: str | None) -> str | None:
    """``'ko-KR'`` / ``'ko_KR'`` / ``'KO'`` -> ``'ko'``; empty -> None."""
    if not language or not str(language).strip():
        return None
    return str(language).strip().replace('_', '-').split('-')[0].lower()


def resolve_language(
    language: str | None = None,
    context_language: str | None = None,
    env: Mapping[str, Any] | None = None,
) -> str:
    """Pick the language: call > context > ``SYNAPSE_LANGUAGE`` (in `env`, then ``os.environ``) > en."""
    for candidate in (
        language,
        context_language,
        (env or {}).get('SYNAPSE_LANGUAGE'),
        os.environ.get('SYNAPSE_LANGUAGE'),
    ):
        lang = normalize_language(candidate)
        if lang:
            return lang
    return DEFAULT_LANGUAGE


def supported_languages() -> list[str]:
    """Languages that have a built-in catalogue."""
    return sorted(_load())


def get_catalog(language: str) -> dict[str, str]:
    """A copy of one language's catalogue (empty for an unknown language)."""
    return dict(_load().get(normalize_language(language) or DEFAULT_LANGUAGE, {}))


def register_messages(translations: Mapping[str, Mapping[str, str]]) -> None:
    """Add or override catalogue entries: ``{'en': {'my_key': 'Text {x}'}, 'ko': {...}}``.

    Plugins and category modules call this once at import time for their own message codes.
    """
    for lang, messages in translations.items():
        if not isinstance(messages, Mapping) or not all(isinstance(v, str) for v in messages.values()):
            raise TypeError(f'Translations for {lang!r} must map message keys to template strings')
    catalogs = _load()
    with _lock:
        for lang, messages in translations.items():
            catalogs.setdefault(normalize_language(lang) or lang, {}).update(messages)


def _safe_format(template: str, kwargs: Mapping[str, Any]) -> str:
    """Format `template`; a missing or mistyped argument leaves the template readable, never raises.

    A message is never worth aborting a run for: the problem is reported as a developer warning.
    """
    if not kwargs:
        return template
    try:
        return template.format(**kwargs)
    except (KeyError, IndexError, ValueError, TypeError, AttributeError) as exc:
        warnings.warn(
            f'Could not format message template {template!r}: {type(exc).__name__}: {exc}',
            RuntimeWarning,
            stacklevel=3,
        )
        return template


def translate(key: str, language: str | None = None, **kwargs: Any) -> str:
    """The catalogue text for `key` in `language` (English fallback, then the key), formatted."""
    catalogs = _load()
    lang = normalize_language(language) or DEFAULT_LANGUAGE
    template = catalogs.get(lang, {}).get(key)
    if template is None:
        template = catalogs[DEFAULT_LANGUAGE].get(key, key)
    return _safe_format(template, kwargs)


class LocalizedMessage:
    """One message in several languages.

    Both forms work::

        LocalizedMessage({'en': 'Processing {count} files', 'ko': '{count}개의 파일을 처리 중'})
        LocalizedMessage(en='Processing {count} files', ko='{count}개의 파일을 처리 중')
    """

    __slots__ = ('translations',)

    def __init__(self, translations: Mapping[str, str] | None = None, /, **kwargs: str):
        merged = {**dict(translations or {}), **kwargs}
        if not merged:
            raise ValueError('LocalizedMessage needs at least one translation')
        for lang, text in merged.items():
            if not isinstance(text, str):
                raise TypeError(f'Translation for {lang!r} must be a str, got {type(text).__name__}')
        self.translations: dict[str, str] = {normalize_language(k) or k: v for k, v in merged.items()}

    def get(self, language: str | None = None, default: str = DEFAULT_LANGUAGE) -> str:
        """The template for `language`, else for `default`, else the first one given."""
        lang = normalize_language(language)
        if lang and lang in self.translations:
            return self.translations[lang]
        if default in self.translations:
            return self.translations[default]
        return next(iter(self.translations.values()))

    def format(self, language: str | None = None, default: str = DEFAULT_LANGUAGE, **kwargs: Any) -> str:
        return _safe_format(self.get(language, default), kwargs)

    @property
    def languages(self) -> list[str]:
        return list(self.translations)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LocalizedMessage) and other.translations == self.translations

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.translations.items())))

    def __repr__(self) -> str:
        return f'LocalizedMessage({self.translations!r})'

    def __str__(self) -> str:
        return self.get()


def render(
    message: str | Mapping[str, str] | LocalizedMessage, language: str | None = None, **kwargs: Any
) -> str:
    """Text of a plain str, a ``{lang: text}`` dict or a `LocalizedMessage` in `language`, formatted.

    A plain str is formatted only when `kwargs` are given, so literal braces in ordinary messages
    are left alone.
    """
    if isinstance(message, LocalizedMessage):
        return message.format(language, **kwargs)
    if isinstance(message, Mapping):
        return LocalizedMessage(message).format(language, **kwargs)
    return _safe_format(str(message), kwargs)
