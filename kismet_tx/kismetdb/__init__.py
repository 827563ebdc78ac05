"""kismetdb: Kismet's ``.kismet`` SQLite log.

``schema`` (tables and columns; a leaf any floor may read), ``writer`` (the
writer thread), ``rows`` (rows of packets, devices, alerts, messages),
``settings`` (the ``kis_log_*`` keys), ``log`` (the log service) and ``cli``
(the ``kismet_tx-log`` tools). The replay source is
:mod:`kismet_tx.capture.kismetdb`.
"""
