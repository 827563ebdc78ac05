"""802.11 intrusion detection: Kismet's WIDS alerts, raised from single packets.

:class:`~kismet_tx.alerts.wids.detector.Dot11Wids` is the packet-chain
subscriber; it keeps small, bounded state per BSSID and per station
(:mod:`.state`) and hands each frame to the rules of its family:
:mod:`.disconnect`, :mod:`.beacons`, :mod:`.ssidrules`, :mod:`.malformed`
and :mod:`.crypto`. :mod:`.definitions` lists the alert kinds.
"""
