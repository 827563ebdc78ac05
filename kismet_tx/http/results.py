"""What a handler returns, and how it becomes a response.

- plain data (dict, list, Mapping)  -> serialized by suffix (``wrapper`` honoured);
- :class:`Listing` (a lazy iterable) -> streamed in chunks by a push producer;
- :class:`Text`                     -> written as is;
- :class:`Raw`                      -> the handler writes and finishes the response
                                       itself (streams); the route waits for that.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from twisted.internet import defer, task
from twisted.internet.interfaces import IPushProducer
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.iweb import IRequest
from twisted.web.server import Request
from zope.interface import implementer

from kismet_tx.http.commands import Command
from kismet_tx.http.context import HttpContext
from kismet_tx.http.directbody import DirectBody
from kismet_tx.http.errors import HttpError, ServerFault

_log = Logger(namespace="kismet_tx.http")


@dataclass(slots=True)
class Text:
    """A literal response body."""

    body: str | bytes
    status: int = 200
    content_type: bytes = b"text/plain; charset=utf-8"

    def encoded(self) -> bytes:
        """The body as bytes."""
        return self.body if isinstance(self.body, bytes) else self.body.encode("utf-8")


@dataclass(slots=True)
class Listing:
    """A lazily produced list of records, streamed without building the body.

    With ``wrap``, the list is the ``key`` entry of that dictionary (a paged
    view's ``{"data": [...], "last_page": ...}``), streamed all the same.
    """

    items: Iterable[Any]
    wrap: dict[str, Any] | None = None
    key: str = "data"


@dataclass(slots=True)
class Raw:
    """The handler has taken over the response (a long-lived stream)."""


def common_headers(request: IRequest) -> None:
    headers = request.responseHeaders
    headers.setRawHeaders(b"Server", [b"Kismet"])
    headers.setRawHeaders(b"Cache-Control", [b"no-cache"])
    headers.setRawHeaders(b"Pragma", [b"no-cache"])
    headers.setRawHeaders(b"Expires", [b"Sat, 01 Jan 2000 00:00:00 GMT"])


def write_error(request: IRequest, error: HttpError) -> bytes:
    """Set an error's status and headers; return its body.

    A page script marks its requests ``X-Requested-With: XMLHttpRequest`` and
    handles a 401 itself: it gets no ``WWW-Authenticate``, which would make
    the browser open its own login prompt over the page.
    """
    request.setResponseCode(error.status)
    request.setHeader(b"Content-Type", error.content_type)
    scripted = (request.getHeader(b"x-requested-with") or b"").lower() == b"xmlhttprequest"
    for name, value in error.headers().items():
        if scripted and name.lower() == b"www-authenticate":
            continue
        request.setHeader(name, value)
    return error.body()


def _until_finished(request: IRequest) -> defer.Deferred[None] | None:
    """What to hand Klein for a response the handler finishes itself.

    Klein finishes the request as soon as a route's result is in, so a stream
    must give it a Deferred that fires only once the response is complete (or
    the client has gone).
    """
    # twisted.web's Request: finished, channel and notifyFinish are not in IRequest.
    web_request = cast(Request, request)
    if web_request.finished or web_request.channel is None:
        return None
    done: defer.Deferred[None] = web_request.notifyFinish()
    done.addErrback(lambda _: None)
    return done


def render_result(ctx: HttpContext, request: IRequest, result: Any, fmt: str,
                  cmd: Command) -> Any:
    """Turn a handler's result into a response body, or start a stream.

    Returns the body bytes, or for a stream a Deferred that fires once the
    response is complete: Klein finishes the request when what a route
    returns is in, so a stream must not hand it anything sooner.
    """
    try:
        if isinstance(result, Raw):
            return _until_finished(request)
        if isinstance(result, Text):
            request.setResponseCode(result.status)
            request.setHeader(b"Content-Type", result.content_type)
            return result.encoded()
        request.setHeader(b"Content-Type", ctx.serializer.content_type(fmt))
        wrapper = cmd.wrapper()
        if isinstance(result, Listing):
            wrap, key = result.wrap, result.key
            if wrapper and wrap is not None:
                # Both a paged wrapper and the caller's own: built whole (rare).
                result = {wrapper: {**wrap, key: list(result.items)}}
            else:
                if wrapper:
                    wrap, key = {wrapper: None}, wrapper
                chunks = ctx.serializer.encode_list(result.items, fmt, ctx.slicer().due,
                                                    wrap=wrap, key=key)
                producer = ListProducer(ctx, request, chunks)
                producer.start()
                return producer.done
        elif wrapper:
            result = {wrapper: result}
        return ctx.serializer.encode(result, fmt)
    except HttpError as error:
        return write_error(request, error)
    except Exception:
        _log.failure("error serializing a response")
        return write_error(request, ServerFault())


@implementer(IPushProducer)
class ListProducer:
    """Writes encoded chunks cooperatively, pausing when the client is slow.

    ``done`` fires once the response is complete or the client has gone.
    """

    def __init__(self, ctx: HttpContext, request: IRequest, chunks: Iterator[bytes]) -> None:
        self._ctx = ctx
        # twisted.web's Request: a consumer with notifyFinish and loseConnection,
        # which IRequest does not say.
        self._request = cast(Request, request)
        # The body goes out as a stream's does: to the socket at once while
        # nothing is queued before it.
        self._body = DirectBody(self._request)
        self._chunks = chunks
        self._task: task.CooperativeTask[Any] | None = None
        self._done = False
        self._wrote = False
        self.done: defer.Deferred[None] = defer.Deferred()

    def start(self) -> None:
        """Begin streaming; the request finishes when the chunks run out."""
        self._request.registerProducer(self, True)
        self._request.notifyFinish().addErrback(lambda _: self.stopProducing())
        self._task = self._ctx.cooperate(self._write_all())
        self._task.whenDone().addCallbacks(self._finished, self._failed)

    def _write_all(self) -> Iterator[None]:
        for chunk in self._chunks:
            if self._done:
                return
            self._body.write(chunk)
            self._wrote = True
            yield None

    def _settle(self) -> None:
        if not self.done.called:
            self.done.callback(None)

    def _finished(self, _: Any) -> None:
        if self._done:
            return
        self._done = True
        self._request.unregisterProducer()
        self._request.finish()
        self._settle()

    def _failed(self, failure: Failure) -> None:
        if failure.check(task.TaskStopped):
            return
        self._done = True
        self._request.unregisterProducer()
        if not self._wrote:
            # Nothing is sent yet: the failure can still get its proper answer.
            error = failure.value if isinstance(failure.value, HttpError) else None
            if error is None:
                _log.failure("error streaming a response", failure=failure)
                error = ServerFault()
            self._request.write(write_error(self._request, error))
            self._request.finish()
            self._settle()
            return
        # Part of the body is out: drop the connection so the client sees a
        # failure, never a short list. ``done`` fires when the connection goes.
        _log.failure("error streaming a response", failure=failure)
        self._request.loseConnection()

    def pauseProducing(self) -> None:
        if self._task is not None and not self._done:
            self._task.pause()

    def resumeProducing(self) -> None:
        if self._task is not None and not self._done:
            self._task.resume()

    def stopProducing(self) -> None:
        self._settle()
        if self._done:
            return
        self._done = True
        if self._task is not None:
            try:
                self._task.stop()
            except (task.TaskDone, task.TaskStopped, task.TaskFailed):
                pass

