// Channel usage: packets and devices per channel from /channels/channels,
// drawn as grouped bars and listed in a table, redrawn on every poll.

import { get } from "./api.js";
import { CHAN, RRD } from "./fields.js";
import { h, replace, fmtNumber, setText } from "./dom.js";
import { barChart } from "./charts.js";
import { Poller } from "./poller.js";

const POLL_MS = 3000;

function sum(values) {
  return (values || []).reduce((a, b) => a + b, 0);
}

function channelOrder(a, b) {
  const na = Number.parseFloat(a);
  const nb = Number.parseFloat(b);
  if (Number.isFinite(na) && Number.isFinite(nb) && na !== nb) return na - nb;
  return String(a).localeCompare(String(b));
}

/** Rows of {label, frequency, minute, hour, devices} from a channels record. */
export function channelRows(reply) {
  const byChannel = reply["kismet.channeltracker.channel_map"] || {};
  const byFreq = reply["kismet.channeltracker.frequency_map"] || {};
  const source = Object.keys(byChannel).length ? byChannel : byFreq;
  return Object.entries(source).map(([name, rec]) => {
    const packets = rec[`${CHAN}packets_rrd`] || {};
    const devices = rec[`${CHAN}device_rrd`] || {};
    const freq = rec[`${CHAN}frequency`];
    const label = source === byChannel ? name : `${Math.round(Number(name) / 1000)} MHz`;
    return {
      label,
      frequency: freq ? `${freq / 1000} MHz` : "",
      minute: sum(packets[`${RRD}minute_vec`]),
      hour: sum(packets[`${RRD}hour_vec`]),
      devices: devices[`${RRD}last_value`] || 0,
    };
  }).sort((a, b) => channelOrder(a.label, b.label));
}

export class ChannelsPanel {
  constructor(root) {
    this.canvas = h("canvas", { class: "chart chart-channels", role: "img", "aria-label": "Channel usage" });
    this.tbody = h("tbody");
    this.empty = h("p", { class: "muted", text: "No channel has carried a packet yet." });
    this.summary = h("p", { class: "muted" });
    replace(root, h("div", { class: "panel-head" }, h("h2", { text: "Channel usage" })),
      h("p", { class: "muted", text: "Packets in the last minute and devices active per channel." }),
      this.canvas, this.summary, this.empty,
      h("table", { class: "compact channels-table", "aria-label": "Channels" },
        h("thead", {}, h("tr", {}, ["Channel", "Frequency", "Packets, last minute", "Packets, last hour", "Devices"]
          .map((t, i) => h("th", { scope: "col", class: i >= 2 ? "num" : "", text: t })))),
        this.tbody));
    this.rows = [];
    this.poller = new Poller(() => this.load(), POLL_MS);
    window.addEventListener("resize", () => this.draw());
  }

  show() {
    this.poller.start();
  }

  hide() {
    this.poller.stop();
  }

  async load() {
    this.rows = channelRows(await get("channels/channels.json"));
    this.empty.hidden = this.rows.length > 0;
    replace(this.tbody, this.rows.map((r) => h("tr", {},
      h("th", { scope: "row", text: r.label }), h("td", { text: r.frequency }),
      h("td", { class: "num", text: fmtNumber(r.minute) }), h("td", { class: "num", text: fmtNumber(r.hour) }),
      h("td", { class: "num", text: fmtNumber(r.devices) }))));
    const busiest = [...this.rows].sort((a, b) => b.minute - a.minute)[0];
    setText(this.summary, busiest ? `Busiest channel: ${busiest.label} (${fmtNumber(busiest.minute)} packets in the last minute).` : "");
    this.draw();
  }

  draw() {
    const style = getComputedStyle(this.canvas);
    barChart(this.canvas, this.rows.map((r) => r.label), [
      { name: "Packets, last minute", values: this.rows.map((r) => r.minute), color: style.getPropertyValue("--accent").trim() || "#16a34a" },
      { name: "Devices", values: this.rows.map((r) => r.devices), color: style.getPropertyValue("--accent-2").trim() || "#2563eb" },
    ]);
    this.canvas.setAttribute("aria-label", `Channel usage: ${this.rows.map((r) => `channel ${r.label} ${r.minute} packets, ${r.devices} devices`).join("; ")}`);
  }
}
