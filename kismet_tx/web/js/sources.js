// Data sources: state, packets, errors, channel or hopping, replay progress,
// and the controls (add, lock channel, hop, pause, resume, close, open).
// Records come from the shared sources poll; each card is built once and
// updated in place so a control in use is never rebuilt under the pointer.

import { post, seg } from "./api.js";
import { SRC, REPLAY, RRD } from "./fields.js";
import { h, replace, setText, fmtNumber, fmtBytes, labelled, errorLine, setOptions } from "./dom.js";
import { sparkline } from "./charts.js";
import { store } from "./store.js";

/** The state word of a source record. */
export function sourceState(r) {
  if (r[`${SRC}error`]) return "error";
  if (r[`${SRC}paused`]) return "paused";
  if (r[`${SRC}running`]) return "running";
  if (r[`${REPLAY}finished`]) return "finished";
  return "closed";
}

/**
 * Per-second values of an RRD for the minute ending at `now`. The server
 * sends minute_vec indexed by time, as Kismet does: second `t` is slot `t % 60`,
 * valid for the minute up to `last_time`.
 */
export function rrdSeconds(rrd, now) {
  const out = new Array(60).fill(0);
  if (!rrd) return out;
  const last = rrd[`${RRD}last_time`];
  const vec = rrd[`${RRD}minute_vec`] || [];
  for (let i = 0; i < 60; i += 1) {
    const age = last - (now - 59 + i);
    if (age >= 0 && age < vec.length) out[i] = vec[(now - 59 + i) % vec.length] || 0;
  }
  return out;
}

function channelText(r) {
  const hop = r[`${SRC}hop_channels`] || [];
  if (r[`${SRC}hopping`]) return `hopping ${hop.length} channels, ${r[`${SRC}hop_rate`]} hops/s`;
  if (r[`${SRC}channel`]) return `locked on ${r[`${SRC}channel`]}`;
  return "none (file or fixed)";
}

function passText(r) {
  const passes = r[`${REPLAY}passes`] || 0;
  if (r[`${REPLAY}finished`]) return `${fmtNumber(passes)} pass${passes === 1 ? "" : "es"} done`;
  return `pass ${fmtNumber(passes + 1)}`;
}

class SourceCard {
  constructor(uuid) {
    this.uuid = uuid;
    this.name = h("h3", { class: "card-title" });
    this.state = h("span", { class: "state" });
    this.meta = h("dl", { class: "kv" });
    this.reason = h("p", { class: "source-error", role: "status", hidden: true });
    this.warning = h("p", { class: "source-warning", hidden: true });
    this.progress = h("progress", { max: 100, value: 0 });
    this.progressText = h("span", { class: "progress-text" });
    this.replay = h("div", { class: "replay", hidden: true },
      labelled("Replay progress", this.progress), this.progressText);
    this.spark = h("canvas", { class: "spark spark-wide", role: "img", "aria-label": "Packets per second, last minute" });
    this.error = errorLine();
    const button = (text, path) => h("button", { type: "button", text, onclick: () => this.command(path) });
    this.pauseButton = button("Pause", "pause_source");
    this.resumeButton = button("Resume", "resume_source");
    this.closeButton = button("Close", "close_source");
    this.openButton = button("Open", "open_source");
    this.hopButton = button("Hop channels", "set_hop");
    this.channelSelect = h("select");
    this.lockForm = h("form", { class: "inline-form", onsubmit: (event) => {
      event.preventDefault();
      this.command("set_channel", { channel: this.channelSelect.value });
    } }, labelled("Channel", this.channelSelect), h("button", { type: "submit", text: "Lock" }));
    this.pcap = h("a", { class: "button-link", download: "", text: "Live pcapng" });
    this.el = h("article", { class: "card source-card", dataset: { uuid } },
      h("div", { class: "card-head" }, this.name, this.state),
      this.meta, this.reason, this.warning, this.replay,
      h("div", { class: "spark-row" }, this.spark, h("span", { class: "muted", text: "packets/s, last minute" })),
      h("div", { class: "controls" }, this.pauseButton, this.resumeButton, this.closeButton, this.openButton,
        this.hopButton, this.lockForm, this.pcap),
      this.error.el);
  }

  async command(path, body = {}) {
    this.error.clear();
    const buttons = this.el.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    try {
      const record = await post(`datasource/by-uuid/${seg(this.uuid)}/${path}.cmd`, body);
      if (record && typeof record === "object") this.update(record);
    } catch (err) {
      this.error.show(err.message);
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  }

  update(r) {
    this.record = r;
    const state = sourceState(r);
    setText(this.name, r[`${SRC}name`]);
    setText(this.state, state);
    this.state.dataset.state = state;
    this.el.dataset.state = state;
    const driver = r[`${SRC}type_driver`] || {};
    replace(this.meta,
      h("dt", { text: "Type" }), h("dd", { text: driver["kismet.datasource.driver.type"] || r[`${SRC}hardware`] || "" }),
      h("dt", { text: "Interface" }), h("dd", { class: "mono wrap", text: r[`${SRC}capture_interface`] || r[`${SRC}interface`] || "" }),
      h("dt", { text: "Channel" }), h("dd", { text: channelText(r) }),
      h("dt", { text: "Packets" }), h("dd", { class: "packets", text: fmtNumber(r[`${SRC}num_packets`]) }),
      h("dt", { text: "Error packets" }), h("dd", { text: fmtNumber(r[`${SRC}num_error_packets`]) }),
      h("dt", { text: "UUID" }), h("dd", { class: "mono wrap", text: r[`${SRC}uuid`] }));
    const reason = r[`${SRC}error_reason`];
    this.reason.hidden = !reason;
    setText(this.reason, reason ? `Error: ${reason}` : "");
    const warning = r[`${SRC}warning`];
    this.warning.hidden = !warning;
    setText(this.warning, warning || "");
    const isReplay = `${REPLAY}percent` in r;
    this.replay.hidden = !isReplay;
    if (isReplay) {
      const percent = r[`${REPLAY}percent`] || 0;
      this.progress.value = percent;
      const flags = [r[`${REPLAY}realtime`] ? "real time" : "full speed", r[`${REPLAY}loop`] ? "looping" : null,
        r[`${REPLAY}finished`] ? "finished" : null].filter(Boolean).join(", ");
      setText(this.progressText, `${percent.toFixed(1)} % · ${fmtNumber(r[`${REPLAY}packets_read`])} of `
        + `${fmtNumber(r[`${REPLAY}packets_total`])} frames · ${fmtBytes(r[`${REPLAY}bytes_read`])} of `
        + `${fmtBytes(r[`${REPLAY}file_size`])} · ${passText(r)} · ${flags}`);
    }
    const running = Boolean(r[`${SRC}running`]);
    const paused = Boolean(r[`${SRC}paused`]);
    this.pauseButton.hidden = !running || paused;
    this.resumeButton.hidden = !paused;
    this.closeButton.hidden = !running && !paused;
    this.openButton.hidden = running || paused;
    const channels = (r[`${SRC}channels`] || []).map(String);
    this.lockForm.hidden = channels.length === 0;
    this.hopButton.hidden = channels.length < 2 || Boolean(r[`${SRC}hopping`]);
    if (channels.length && document.activeElement !== this.channelSelect) {
      setOptions(this.channelSelect, channels.map((c) => [c, c]), r[`${SRC}channel`] || channels[0]);
    }
    this.pcap.href = `datasource/pcap/by-uuid/${seg(r[`${SRC}uuid`])}/packets.pcapng`;
    const now = Math.floor(store.serverNow());
    sparkline(this.spark, rrdSeconds(r[`${SRC}packets_rrd`], now));
  }
}

export class SourcesPanel {
  constructor(root) {
    this.root = root;
    this.cards = new Map();
    const definition = h("input", { autocomplete: "off", spellcheck: "false", required: true,
      "aria-describedby": "add-source-help" });
    const error = errorLine();
    const done = h("p", { class: "form-ok", role: "status" });
    const form = h("form", { class: "toolbar", onsubmit: async (event) => {
      event.preventDefault();
      error.clear();
      setText(done, "");
      try {
        const record = await post("datasource/add_source.cmd", { definition: definition.value.trim() });
        setText(done, `Added ${record[`${SRC}name`]}.`);
        definition.value = "";
        store.dispatchEvent(new Event("refresh-sources"));
      } catch (err) {
        error.show(`Could not add the source: ${err.message}`);
      }
    } }, h("div", { class: "field grow" }, labelled("Add a source (Kismet definition)", definition),
      h("span", { id: "add-source-help", class: "help",
        text: "For example wlan0:name=wifi,channels=\"1,6,11\" or /data/capture.pcapng:realtime=true" })),
    h("div", { class: "field action" }, h("button", { type: "submit", class: "primary", text: "Add source" })));
    this.list = h("div", { class: "cards" });
    this.empty = h("p", { class: "muted", text: "No data sources. Add one above, or start the server with -c SOURCE." });
    replace(root, h("div", { class: "panel-head" }, h("h2", { text: "Data sources" }),
      h("a", { href: "pcap/all_packets.pcapng", class: "button-link", download: "", text: "Live pcapng of all packets" })),
    form, error.el, done, this.empty, this.list);
    store.addEventListener("sources", () => this.update());
  }

  update() {
    const seen = new Set();
    for (const [uuid, record] of store.sources) {
      seen.add(uuid);
      let card = this.cards.get(uuid);
      if (!card) {
        card = new SourceCard(uuid);
        this.cards.set(uuid, card);
        this.list.appendChild(card.el);
      }
      card.update(record);
    }
    for (const [uuid, card] of this.cards) {
      if (!seen.has(uuid)) {
        card.el.remove();
        this.cards.delete(uuid);
      }
    }
    this.empty.hidden = this.cards.size > 0;
  }
}
