"""The txaio calls the plugin host makes, typed.

txaio binds its functions to a framework at ``use_twisted()`` time, so the
module carries no static signatures; these thin wrappers give them one. A
future here is a Twisted Deferred once :func:`use_twisted` has run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import txaio

#: txaio itself, seen as what it is to a type checker: attributes bound at run time.
_txaio: Any = txaio

Callback = Callable[[Any], Any]


def use_twisted() -> None:
    """Bind txaio to Twisted (idempotent)."""
    _txaio.use_twisted()


def is_future(value: object) -> bool:
    """Whether ``value`` is a future."""
    return bool(_txaio.is_future(value))


def as_future(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``fn`` and wrap what it gives (a value, a future or an exception) in a future."""
    return _txaio.as_future(fn, *args, **kwargs)


def add_callbacks(future: Any, callback: Callback | None, errback: Callback | None) -> Any:
    """Chain ``callback`` and ``errback`` onto ``future``."""
    return _txaio.add_callbacks(future, callback, errback)


def create_future() -> Any:
    """A new unresolved future."""
    return _txaio.create_future()


def create_future_success(value: object) -> Any:
    """A future already resolved with ``value``."""
    return _txaio.create_future_success(value)


def resolve(future: Any, value: object) -> None:
    """Resolve ``future`` with ``value``."""
    _txaio.resolve(future, value)


def gather(futures: Iterable[Any], consume_exceptions: bool = True) -> Any:
    """A future of every future's result."""
    return _txaio.gather(list(futures), consume_exceptions=consume_exceptions)


def failure_message(failure: Any) -> str:
    """A one-line description of a failure."""
    return str(_txaio.failure_message(failure))
