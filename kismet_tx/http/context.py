"""What every REST area shares: auth, serializer, body cap and cooperative scheduling."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

from twisted.internet import defer, task
from twisted.internet.interfaces import IReactorTime
from twisted.python.failure import Failure

from kismet_tx.http.auth import Authenticator
from kismet_tx.http.commands import DEFAULT_MAX_BODY
from kismet_tx.http.serialize import Serializer
from kismet_tx.slicing import Slicer


@dataclass
class HttpContext:
    """Collaborators every area shares: auth, serializer, limits, scheduling.

    ``timer`` measures the slices of sliced work (:mod:`kismet_tx.slicing`);
    tests inject one that counts calls.
    """

    auth: Authenticator
    clock: IReactorTime
    serializer: Serializer = field(default_factory=Serializer)
    max_body: int = DEFAULT_MAX_BODY
    cooperator: task.Cooperator | None = None
    timer: Callable[[], float] = time.perf_counter

    def cooperate(self, iterator: Iterator[Any]) -> task.CooperativeTask[Any]:
        """Run ``iterator`` cooperatively on the injected (or global) cooperator."""
        if self.cooperator is None:
            return task.cooperate(iterator)
        return self.cooperator.cooperate(iterator)

    def slicer(self) -> Slicer:
        """A fresh slice clock for one piece of sliced work."""
        return Slicer(self.timer)

    def run_steps(self, steps: Generator[None, None, Any]) -> defer.Deferred[Any]:
        """Drive a sliced computation; fires with its return value.

        The first slice runs at once (a small job answers in this turn); the
        rest run cooperatively, one slice at a time. Cancelling the Deferred
        (Klein does when the client goes away) stops the work.
        """
        try:
            next(steps)
        except StopIteration as at_once:
            return defer.succeed(at_once.value)
        outcome: list[Any] = []

        def drive() -> Iterator[None]:
            outcome.append((yield from steps))

        work = self.cooperate(drive())

        def stop(_: defer.Deferred[Any]) -> None:
            try:
                work.stop()
            except (task.TaskDone, task.TaskStopped, task.TaskFailed):
                pass
            steps.close()

        result: defer.Deferred[Any] = defer.Deferred(canceller=stop)

        def finished(_: Any) -> None:
            if not result.called:
                result.callback(outcome[0])

        def failed(failure: Failure) -> None:
            if not result.called and not failure.check(task.TaskStopped):
                result.errback(failure)

        work.whenDone().addCallbacks(finished, failed)
        return result

