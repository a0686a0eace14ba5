"""Starshipit's errors as the services' DomainErrors.

The Starshipit client (desktop.starshipit) raises its own errors, plain exceptions: StarshipitError and its
subclasses, and starshipit's Cancelled when its `cancel` event is set. Above the services (the CLI, the app)
every error raised on purpose is a DomainError (one line on stderr, a message box), and a cancelled piece of
work raises desktop.services.errors.Cancelled. `domain_errors()` (a context manager, or a decorator) turns the
first into the second as they leave the services:

- a StarshipitError comes out as the same error (the same message, attributes, traceback and cause) of a
  class that is both its own class and a DomainError (`domain_class`): `except KeyProblem`,
  `except StarshipitError` and `except DomainError` all still catch it;
- starshipit's Cancelled comes out as desktop.services.errors.Cancelled (the same message).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from desktop.services.errors import Cancelled, DomainError
from desktop.starshipit.errors import Cancelled as ClientCancelled
from desktop.starshipit.errors import StarshipitError

E = TypeVar("E", bound=StarshipitError)

_classes: dict[type[StarshipitError], type[StarshipitError]] = {}
_lock = threading.Lock()


def domain_class(kind: type[E]) -> type[E]:
    """`kind` (a StarshipitError class) as a DomainError too: a subclass of both, made once per class, with
    the same name (so logs and messages read as before)."""
    if issubclass(kind, DomainError):
        return kind
    with _lock:
        made = _classes.get(kind)
        if made is None:
            made = type(kind.__name__, (kind, DomainError), {
                "__module__": __name__, "__qualname__": kind.__qualname__, "__doc__": kind.__doc__,
            })
            _classes[kind] = made
    return made  # type: ignore[return-value]


def as_domain_error(exc: E) -> E:
    """`exc` as an instance of `domain_class(type(exc))`: its arguments (so its message), attributes,
    traceback, cause and context carried over. An error that already is a DomainError is returned as it is."""
    if isinstance(exc, DomainError):
        return exc
    kind = domain_class(type(exc))
    same = kind.__new__(kind, *exc.args)
    same.__dict__.update(exc.__dict__)
    same.__cause__ = exc.__cause__
    same.__context__ = exc.__context__
    same.__suppress_context__ = exc.__suppress_context__
    return same.with_traceback(exc.__traceback__)


@contextmanager
def domain_errors() -> Iterator[None]:
    """Within it, Starshipit's errors become DomainErrors and its Cancelled the services' Cancelled."""
    try:
        yield
    except ClientCancelled as exc:
        raise Cancelled().with_traceback(exc.__traceback__) from None
    except StarshipitError as exc:
        if isinstance(exc, DomainError):
            raise
        raise as_domain_error(exc) from exc.__cause__


__all__ = ["as_domain_error", "domain_class", "domain_errors"]
