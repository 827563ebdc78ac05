// Field names of the Kismet records the UI reads.

const B = "kismet.device.base.";

export const DEV = {
  key: `${B}key`,
  mac: `${B}macaddr`,
  phy: `${B}phyname`,
  name: `${B}name`,
  username: `${B}username`,
  commonname: `${B}commonname`,
  type: `${B}type`,
  crypt: `${B}crypt`,
  channel: `${B}channel`,
  frequency: `${B}frequency`,
  manuf: `${B}manuf`,
  first: `${B}first_time`,
  last: `${B}last_time`,
  mod: `${B}mod_time`,
  packets: `${B}packets.total`,
  packetsData: `${B}packets.data`,
  packetsCrypt: `${B}packets.crypt`,
  datasize: `${B}datasize`,
  signal: `${B}signal`,
  tags: `${B}tags`,
  seenby: `${B}seenby`,
  alerts: `${B}num_alerts`,
  basicType: `${B}basic_type_set`,
};

export const SIG = {
  last: "kismet.common.signal.last_signal",
  min: "kismet.common.signal.min_signal",
  max: "kismet.common.signal.max_signal",
  rrd: "kismet.common.signal.signal_rrd",
};

/** The signal of a device as a field path (absent signal reads as 0). */
export const SIGNAL_PATH = `${DEV.signal}/${SIG.last}`;

export const DOT11 = "dot11.device";
export const D11 = {
  advertised: "dot11.device.advertised_ssid_map",
  responded: "dot11.device.responded_ssid_map",
  probed: "dot11.device.probed_ssid_map",
  associated: "dot11.device.associated_client_map",
  clientMap: "dot11.device.client_map",
  handshakes: "dot11.device.wpa_handshake_list",
  lastBssid: "dot11.device.last_bssid",
};

export const SSID = "dot11.advertisedssid.";
export const PROBED = "dot11.probedssid.";
export const EAPOL = "dot11.eapol.";

export const SRC = "kismet.datasource.";
export const REPLAY = "kismet.datasource.replay.";
export const ALERT = "kismet.alert.";
export const MSG = "kismet.messagebus.";
export const STREAM = "kismet.stream.";
export const LOC = "kismet.common.location.";
export const GPS = "kismet.gps.";
export const RRD = "kismet.common.rrd.";
export const CHAN = "kismet.channelrec.";
export const PLUGIN = "kismet.plugin.";

/** Whether a MAC is the all-zero value Kismet uses for "unset". */
export function unsetMac(mac) {
  return !mac || mac === "00:00:00:00:00:00";
}
