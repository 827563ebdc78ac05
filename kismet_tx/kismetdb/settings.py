"""What the ``kis_log_*`` keys say, and Kismet's device and packet MAC filters.

Keys (Kismet's ``kismet_logging.conf``; defaults as in Kismet):

- ``kis_log_packets``, ``kis_log_devices``, ``kis_log_alerts``,
  ``kis_log_messages``, ``kis_log_gps_track`` (true): what the log holds;
- ``kis_log_data_packets`` (true): false leaves 802.11 data frames out;
- ``kis_log_duplicate_packets`` (true): false leaves out a frame another
  source already delivered in the last second (same 802.11 bytes);
- ``kis_log_device_filter = phyname,MAC,pass|block`` (repeatable) and
  ``kis_log_device_filter_default`` (pass);
- ``kis_log_packet_filter = phyname,block,MAC,pass|block`` (repeatable; block
  is ``source``, ``destination``, ``network``, ``transmitter`` or ``any``) and
  ``kis_log_packet_filter_default`` (pass);
- ``kis_log_ephemeral_dangerous`` (false): the file is deleted as soon as it is
  opened, so nothing is left when the server exits;
- ``kis_log_device_interval`` (30 s): changed devices are written at most once
  per interval;
- kismet_tx's own: ``kis_log_db_version`` (6, or 10: see
  :mod:`kismet_tx.kismetdb.schema`), ``kis_log_queue_rows`` (200000 rows
  waiting for the disk before new ones are dropped and counted),
  ``kis_log_commit_interval`` (1 s between transactions).

Bad filter lines are reported and skipped, as Kismet does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kismet_tx.config import Config
from kismet_tx.keys import MacError, parse_mac
from kismet_tx.kismetdb.schema import DB_VERSIONS, DEFAULT_DB_VERSION
from kismet_tx.kismetdb.writer import DEFAULT_COMMIT_INTERVAL, DEFAULT_MAX_ROWS

DEFAULT_DEVICE_INTERVAL = 30.0
PACKET_BLOCKS = ("source", "destination", "network", "transmitter", "any")

KEYS = frozenset({
    "kis_log_packets", "kis_log_devices", "kis_log_alerts", "kis_log_messages",
    "kis_log_gps_track", "kis_log_data_packets", "kis_log_duplicate_packets",
    "kis_log_device_filter", "kis_log_device_filter_default", "kis_log_packet_filter",
    "kis_log_packet_filter_default", "kis_log_ephemeral_dangerous", "kis_log_device_interval",
    "kis_log_db_version", "kis_log_queue_rows", "kis_log_commit_interval",
})


def _verdict(text: str) -> bool | None:
    """True for block, False for pass, None when it is neither."""
    word = text.strip().lower()
    if word in ("block", "true"):
        return True
    if word in ("pass", "false"):
        return False
    return None


@dataclass
class MacFilter:
    """``(phyname, MAC) -> blocked``, with a default; blocks keyed by packet field too."""

    default_block: bool = False
    rules: dict[tuple[str, str, bytes], bool] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        """Whether the filter can block anything."""
        return self.default_block or any(self.rules.values())

    def blocks(self, phyname: str, mac: bytes | None, block: str = "device") -> bool:
        """Whether ``mac`` (in ``block``) is filtered out."""
        if mac is not None:
            rules = self.rules
            verdict = rules.get((phyname, block, mac))
            if verdict is None and block != "device":
                verdict = rules.get((phyname, "any", mac))
            if verdict is not None:
                return verdict
        return self.default_block


@dataclass
class KismetdbSettings:
    """Every ``kis_log_*`` setting."""

    packets: bool = True
    devices: bool = True
    alerts: bool = True
    messages: bool = True
    gps_track: bool = True
    data_packets: bool = True
    duplicate_packets: bool = True
    ephemeral: bool = False
    device_interval: float = DEFAULT_DEVICE_INTERVAL
    db_version: int = DEFAULT_DB_VERSION
    max_rows: int = DEFAULT_MAX_ROWS
    commit_interval: float = DEFAULT_COMMIT_INTERVAL
    device_filter: MacFilter = field(default_factory=MacFilter)
    packet_filter: MacFilter = field(default_factory=MacFilter)
    #: Problems with the keys, for the message bus.
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def from_config(cls, config: Config) -> KismetdbSettings:
        """The settings of ``config`` (bad values warned about and replaced)."""
        out = cls(
            packets=config.get_bool("kis_log_packets", True),
            devices=config.get_bool("kis_log_devices", True),
            alerts=config.get_bool("kis_log_alerts", True),
            messages=config.get_bool("kis_log_messages", True),
            gps_track=config.get_bool("kis_log_gps_track", True),
            data_packets=config.get_bool("kis_log_data_packets", True),
            duplicate_packets=config.get_bool("kis_log_duplicate_packets", True),
            ephemeral=config.get_bool("kis_log_ephemeral_dangerous", False),
            device_interval=config.get_float("kis_log_device_interval",
                                             DEFAULT_DEVICE_INTERVAL),
            db_version=config.get_int("kis_log_db_version", DEFAULT_DB_VERSION),
            max_rows=config.get_int("kis_log_queue_rows", DEFAULT_MAX_ROWS),
            commit_interval=config.get_float("kis_log_commit_interval",
                                             DEFAULT_COMMIT_INTERVAL),
        )
        if out.db_version not in DB_VERSIONS:
            out.warnings.append(f"kis_log_db_version={out.db_version} is not one of "
                                f"{', '.join(map(str, DB_VERSIONS))}; writing version "
                                f"{DEFAULT_DB_VERSION}")
            out.db_version = DEFAULT_DB_VERSION
        if out.device_interval <= 0:
            out.warnings.append("kis_log_device_interval must be above 0; using "
                                f"{DEFAULT_DEVICE_INTERVAL:g}")
            out.device_interval = DEFAULT_DEVICE_INTERVAL
        if out.commit_interval <= 0:
            out.commit_interval = DEFAULT_COMMIT_INTERVAL
        out.max_rows = max(1000, out.max_rows)
        out.device_filter = out._filter(config, "kis_log_device_filter", 3)
        out.packet_filter = out._filter(config, "kis_log_packet_filter", 4)
        return out

    def _filter(self, config: Config, key: str, width: int) -> MacFilter:
        default = config.get(f"{key}_default") or "pass"
        verdict = _verdict(default)
        if verdict is None:
            self.warnings.append(f"Couldn't parse '{key}_default', expected 'pass' or "
                                 "'block', filter defaulting to 'pass'.")
            verdict = False
        result = MacFilter(default_block=verdict)
        shape = "phyname,mac,filtertype" if width == 3 else "phyname,filterblock,mac,filtertype"
        for line in config.get_list(key):
            parts = [p.strip() for p in line.split(",")]
            if len(parts) != width:
                self.warnings.append(f"Skipping invalid {key} option '{line}', expected "
                                     f"{shape}.")
                continue
            phyname, mac_text, action = parts[0], parts[-2], parts[-1]
            block = "device" if width == 3 else parts[1].lower()
            if width == 4 and block not in PACKET_BLOCKS:
                self.warnings.append(f"Skipping invalid {key} option '{line}': block must "
                                     f"be one of {', '.join(PACKET_BLOCKS)}.")
                continue
            try:
                mac = parse_mac(mac_text)
            except MacError:
                self.warnings.append(f"Skipping invalid {key} option '{line}', expected "
                                     f"{shape} but got error parsing '{mac_text}' as a MAC "
                                     "address.")
                continue
            blocked = _verdict(action)
            if blocked is None:
                self.warnings.append(f"Skipping invalid {key} option '{line}', expected "
                                     f"{shape} but got an error parsing '{action}' as a "
                                     "filter block or pass.")
                continue
            result.rules[(phyname, block, mac)] = blocked
        return result
