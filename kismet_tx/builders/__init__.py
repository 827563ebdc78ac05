"""Per-floor builders ``service.KismetService`` wires together: capture, chain,
tracking (trackers, alerts, streams, logs, outputs) and http."""
