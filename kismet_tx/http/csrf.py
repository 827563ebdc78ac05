"""Cross-site request forgery: a command needs proof that it came from our own pages.

A browser sends the ``KISMET`` cookie (and cached Basic credentials) with any
request to the server, a forged form post from another site included. So a
command (:func:`kismet_tx.http.auth.is_command`) made with a session cookie
must carry one of:

- a custom header, ``X-Requested-With`` (jQuery and our web UI send it; a
  page on another origin cannot add one without a CORS preflight, which this
  server never grants);
- an ``Origin``, or failing that a ``Referer``, whose host and port are the
  request's own ``Host``;
- ``Sec-Fetch-Site: same-origin`` (or ``none``, a user's own navigation), set
  by the browser and beyond a page's reach.

A request with any other browser mark (a foreign ``Origin`` or ``Referer``,
``Sec-Fetch-Site: cross-site`` or ``same-site``) is refused with 403. A cookie
command with none of these marks at all does not come from a browser: every
browser of the last years sends ``Origin`` and ``Sec-Fetch-Site`` with a
cross-site POST (and keeps the ``SameSite=Strict`` cookie to itself). It is a
script that keeps its own cookie, such as kismet_rest's ``KismetConnector``
with its session cache, and it passes, so that Kismet's clients work unchanged.

A command made with Basic auth or ``?user=&password=`` is refused only when
its marks name another site (scripts and kismet_rest send none). An API key,
or a session token sent outside a cookie, is no ambient credential and needs
nothing.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from twisted.web.iweb import IRequest

from kismet_tx.http.auth import FROM_APIKEY, FROM_TOKEN, Identity
from kismet_tx.http.errors import Forbidden

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _host_port(netloc: str, scheme: str) -> tuple[str, int] | None:
    try:
        parts = urlsplit(f"{scheme}://{netloc}")
        port = parts.port or _DEFAULT_PORTS.get(scheme, 0)
    except ValueError:
        return None
    return (parts.hostname or "").lower(), port


def same_origin(url: bytes, request: IRequest) -> bool:
    """Whether ``url`` (an Origin or Referer) names the server the request reached."""
    try:
        parts = urlsplit(url.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        return False
    if parts.scheme not in _DEFAULT_PORTS or not parts.netloc:
        return False
    host = (request.getHeader(b"host") or b"").decode("latin-1").strip()
    ours = _host_port(host, "https" if request.isSecure() else "http")
    theirs = _host_port(parts.netloc.rpartition("@")[2], parts.scheme)
    return ours is not None and theirs is not None and ours == theirs and bool(ours[0])


#: ``Sec-Fetch-Site`` values that prove the request is not cross-site.
_SAFE_FETCH_SITES = (b"same-origin", b"none")


def check_csrf(request: IRequest, identity: Identity | None, command: bool) -> None:
    """Refuse (403) a command whose credentials a foreign page could have sent."""
    if not command or identity is None or identity.kind in (FROM_APIKEY, FROM_TOKEN):
        return
    if request.getHeader(b"x-requested-with"):
        return
    for header in (b"origin", b"referer"):
        value = request.getHeader(header)
        if value:
            if same_origin(value, request):
                return
            raise Forbidden("Cross-site request refused: the Origin or Referer is not "
                            "this server")
    fetch_site = request.getHeader(b"sec-fetch-site")
    if fetch_site is not None and fetch_site.strip().lower() not in _SAFE_FETCH_SITES:
        raise Forbidden("Cross-site request refused: a command with a session cookie "
                        "needs a same-origin Origin or Referer, or an X-Requested-With "
                        "header")
