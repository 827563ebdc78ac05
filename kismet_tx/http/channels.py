"""``/channels/channels``: per-channel and per-frequency packets, data, devices, signal."""

from __future__ import annotations

from typing import Any

from klein import Klein

from kismet_tx.channels import ChannelTracker
from kismet_tx.http.context import HttpContext
from kismet_tx.http.routing import GET_POST, ApiRequest, endpoint


class ChannelsArea:
    """Channel tracker endpoint."""

    app = Klein()

    def __init__(self, ctx: HttpContext, channels: ChannelTracker) -> None:
        self.ctx = ctx
        self._channels = channels

    @endpoint(app, "/channels/channels", methods=GET_POST)
    def channels(self, call: ApiRequest) -> Any:
        record = self._channels.record()
        spec = call.cmd.fields()
        return record if spec is None else spec.apply(record)
