"""Alerts: the alert tracker, rate limits, 802.11 WIDS and system alerts.

:mod:`~kismet_tx.alerts.alertsystem` builds the whole set from the config;
:mod:`~kismet_tx.alerts.alert` holds the records and errors,
:mod:`~kismet_tx.alerts.alerttracker` the tracker, :mod:`~kismet_tx.alerts.rates`
the rate limits, :mod:`~kismet_tx.alerts.wids` the 802.11 rules and
:mod:`~kismet_tx.alerts.system` the device and source watches.
"""
