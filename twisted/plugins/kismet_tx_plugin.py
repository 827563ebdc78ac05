"""twistd plugin: ``twistd -n kismet``."""

from twisted.application.service import ServiceMaker

kismet = ServiceMaker(
    "kismet_tx",
    "kismet_tx.tap",
    "A Kismet-compatible wireless monitoring server",
    "kismet",
)
