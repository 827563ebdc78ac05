"""kismet_tx: a Kismet-compatible wireless monitoring server on Twisted."""

__version__ = "0.1.0"
