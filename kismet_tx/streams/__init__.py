"""Packet streams: pcapng encoders, per-client push producers, and the stream registry."""
