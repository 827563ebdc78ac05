// The detail of one device: overview, name and tags, SSIDs, clients (as
// links), handshakes with their pcap downloads, the live pcapng link, the
// signal history and every field as a collapsible tree.
//
// While open, a small fields-only request every two seconds samples the
// signal and the device's mod_time; the full record is fetched again only
// when mod_time moves.

import { get, post, seg, ApiError } from "./api.js";
import { DEV, SIG, SIGNAL_PATH, DOT11, D11, SSID, PROBED, EAPOL, RRD } from "./fields.js";
import { h, replace, setText, fmtNumber, fmtBytes, fmtTime, labelled, errorLine } from "./dom.js";
import { jsonTree } from "./tree.js";
import { lineChart } from "./charts.js";
import { Poller } from "./poller.js";
import { store } from "./store.js";
import { rrdSeconds } from "./sources.js";

const SAMPLE_MS = 2000;
const MAX_SAMPLES = 900;
const CLIENT_FIELDS = [DEV.key, DEV.mac, DEV.commonname, DEV.type, DEV.manuf, DEV.last, DEV.packets];

function section(title, ...children) {
  const id = `detail-${title.toLowerCase().replace(/[^a-z]+/g, "-")}`;
  return h("section", { class: "detail-section", "aria-labelledby": id },
    h("h3", { id, text: title }), ...children);
}

function dl(pairs) {
  return h("dl", { class: "kv" }, pairs.filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => [h("dt", { text: k }), h("dd", {}, v)]));
}

function deviceHref(key) {
  return `#/devices/${encodeURIComponent(key)}`;
}

export class DeviceDetail {
  constructor() {
    this.el = h("aside", { class: "device-detail", "aria-label": "Device details", hidden: true });
    this.key = null;
    this.record = null;
    this.mod = null;
    this.settle = false;
    this.samples = [];
    this.openPaths = new Set(["dot11.device"]);
    this.clientKeys = "";
    this.onClose = null;
    this.poller = new Poller(() => this.sample(), SAMPLE_MS);
  }

  open(key) {
    if (key === this.key && !this.el.hidden) return;
    this.key = key;
    this.record = null;
    this.mod = null;
    this.samples = [];
    this.clientKeys = "";
    this.el.hidden = false;
    this.build();
    this.poller.stop();
    this.load().then(() => this.poller.start(), () => this.poller.start());
  }

  close(notify = true) {
    this.poller.stop();
    this.el.hidden = true;
    this.key = null;
    if (notify && this.onClose) this.onClose();
  }

  build() {
    this.title = h("h2", { id: "detail-title", text: "Loading…" });
    this.subtitle = h("p", { class: "muted detail-sub" });
    const closeButton = h("button", { type: "button", class: "icon-button", "aria-label": "Close device details",
      text: "×", onclick: () => this.close() });
    this.overview = h("div");
    this.links = h("div", { class: "link-row" });
    this.signalText = h("p", { class: "muted" });
    this.signalCanvas = h("canvas", { class: "chart chart-signal", role: "img", "aria-label": "Signal history" });
    this.ssids = h("div");
    this.clients = h("div");
    this.handshakes = h("div");
    this.seenby = h("div");
    this.tagList = h("div");
    this.tree = h("div");
    this.loadError = h("p", { class: "form-error", role: "alert", hidden: true });
    replace(this.el,
      h("div", { class: "detail-head" }, h("div", {}, this.title, this.subtitle), closeButton),
      this.loadError,
      section("Overview", this.overview, this.links),
      section("Signal history", this.signalText, this.signalCanvas),
      this.ssidSection = section("SSIDs", this.ssids),
      this.clientSection = section("Clients", this.clients),
      this.handshakeSection = section("Handshakes", this.handshakes),
      section("Seen by", this.seenby),
      section("Name and tags", this.nameForm(), this.tagList, this.tagForm()),
      section("All fields", this.tree));
    this.el.setAttribute("aria-labelledby", "detail-title");
  }

  nameForm() {
    const input = h("input", { autocomplete: "off" });
    const error = errorLine();
    this.nameInput = input;
    const form = h("form", { class: "inline-form", onsubmit: async (event) => {
      event.preventDefault();
      error.clear();
      try {
        await post(`devices/by-key/${seg(this.key)}/set_name.cmd`, { username: input.value.trim() });
        await this.load();
      } catch (err) {
        error.show(`Could not set the name: ${err.message}`);
      }
    } }, labelled("Name", input), h("button", { type: "submit", text: "Set name" }), error.el);
    return form;
  }

  tagForm() {
    const name = h("input", { autocomplete: "off", required: true });
    const value = h("input", { autocomplete: "off" });
    const error = errorLine();
    return h("form", { class: "inline-form", onsubmit: async (event) => {
      event.preventDefault();
      error.clear();
      try {
        await this.setTag(name.value.trim(), value.value);
        name.value = "";
        value.value = "";
      } catch (err) {
        error.show(`Could not set the tag: ${err.message}`);
      }
    } }, labelled("Tag", name), labelled("Value", value), h("button", { type: "submit", text: "Set tag" }), error.el);
  }

  async setTag(tagname, tagvalue) {
    await post(`devices/by-key/${seg(this.key)}/set_tag.cmd`, { tagname, tagvalue });
    await this.load();
  }

  async load() {
    const key = this.key;
    let record;
    try {
      record = await get(`devices/by-key/${seg(key)}/device.json`);
    } catch (err) {
      if (key !== this.key) return;
      if (err instanceof ApiError && err.status > 0) {
        this.loadError.textContent = err.status === 404 ? "This device is no longer tracked." : err.message;
        this.loadError.hidden = false;
        setText(this.title, "Device unavailable");
      }
      throw err;
    }
    if (key !== this.key) return;
    this.loadError.hidden = true;
    this.record = record;
    this.mod = record[DEV.mod];
    this.addSample(record);
    this.render(record);
  }

  async sample() {
    if (!this.key) return;
    const key = this.key;
    const fields = [DEV.mod, [SIGNAL_PATH, "signal"]];
    const reply = await post(`devices/by-key/${seg(key)}/device.json`, { fields });
    if (key !== this.key) return;
    if (reply.signal) this.pushSample(reply.signal);
    const changed = reply[DEV.mod] !== this.mod;
    if (changed || this.settle) {
      this.settle = changed;
      await this.load();
    } else {
      this.drawSignal();
    }
  }

  addSample(record) {
    const signal = record[DEV.signal];
    if (!signal) return;
    const rrd = signal[SIG.rrd];
    if (!this.samples.length && rrd) {
      const last = rrd[`${RRD}last_time`];
      const now = Date.now() / 1000;
      rrdSeconds(rrd, last).forEach((v, i) => {
        if (v) this.samples.push([now - 59 + i, v]);
      });
    }
    if (signal[SIG.last]) this.pushSample(signal[SIG.last]);
  }

  pushSample(value) {
    this.samples.push([Date.now() / 1000, value]);
    if (this.samples.length > MAX_SAMPLES) this.samples.splice(0, this.samples.length - MAX_SAMPLES);
  }

  drawSignal() {
    const signal = this.record && this.record[DEV.signal];
    if (!signal || !this.samples.length) {
      setText(this.signalText, "No signal reported for this device.");
      this.signalCanvas.hidden = true;
      return;
    }
    this.signalCanvas.hidden = false;
    const last = this.samples[this.samples.length - 1][1];
    const text = `Last ${last} dBm · min ${signal[SIG.min]} dBm · max ${signal[SIG.max]} dBm`;
    setText(this.signalText, text);
    this.signalCanvas.setAttribute("aria-label", `Signal history: ${text}`);
    lineChart(this.signalCanvas, this.samples, { unit: " dBm" });
  }

  render(record) {
    const name = record[DEV.commonname] || record[DEV.mac];
    setText(this.title, name);
    setText(this.subtitle, [record[DEV.type], record[DEV.mac], record[DEV.manuf]].filter(Boolean).join(" · "));
    if (document.activeElement !== this.nameInput) this.nameInput.value = record[DEV.username] || "";
    const freq = record[DEV.frequency];
    replace(this.overview, dl([
      ["Type", record[DEV.type]],
      ["MAC", h("span", { class: "mono", text: record[DEV.mac] })],
      ["Manufacturer", record[DEV.manuf]],
      ["Phy", record[DEV.phy]],
      ["Channel", record[DEV.channel]],
      ["Frequency", freq ? `${freq / 1000} MHz` : ""],
      ["Crypt", record[DEV.crypt]],
      ["First seen", fmtTime(record[DEV.first])],
      ["Last seen", fmtTime(record[DEV.last])],
      ["Packets", `${fmtNumber(record[DEV.packets])} (${fmtNumber(record[DEV.packetsData])} data, `
        + `${fmtNumber(record[DEV.packetsCrypt])} encrypted)`],
      ["Data", fmtBytes(record[DEV.datasize])],
      ["Alerts", fmtNumber(record[DEV.alerts])],
      ["Key", h("span", { class: "mono", text: record[DEV.key] })],
    ]));
    const key = record[DEV.key];
    const links = [h("a", { href: `devices/pcap/by-key/${seg(key)}/packets.pcapng`, class: "button-link",
      download: "", text: "Live pcapng stream" })];
    const dot11 = record[DOT11];
    const mac = record[DEV.mac];
    if (dot11 && (dot11[D11.advertised] || dot11[D11.handshakes])) {
      links.push(h("a", { href: `phy/phy80211/pcap/by-bssid/${seg(mac)}/packets.pcapng`, class: "button-link",
        download: "", text: "Live pcapng of this BSSID" }));
    }
    replace(this.links, links);
    this.drawSignal();
    this.renderSsids(dot11);
    this.renderClients(record, dot11);
    this.renderHandshakes(record, dot11);
    this.renderSeenBy(record);
    this.renderTags(record);
    replace(this.tree, jsonTree(record, this.openPaths));
  }

  renderSsids(dot11) {
    const advertised = [...((dot11 && dot11[D11.advertised]) || []), ...((dot11 && dot11[D11.responded]) || [])];
    const probed = (dot11 && dot11[D11.probed]) || [];
    this.ssidSection.hidden = !advertised.length && !probed.length;
    const parts = [];
    if (advertised.length) {
      parts.push(h("table", { class: "compact", "aria-label": "Advertised SSIDs" },
        h("thead", {}, h("tr", {}, ["SSID", "How", "Channel", "Crypt", "First seen", "Last seen"]
          .map((t) => h("th", { scope: "col", text: t })))),
        h("tbody", {}, advertised.map((s) => h("tr", {},
          h("td", { class: "ssid" }, s[`${SSID}ssid`] || h("em", { text: s[`${SSID}cloaked`] ? "(hidden)" : "(empty)" })),
          h("td", { text: s[`${SSID}beacon`] ? "beacon" : "probe response" }),
          h("td", { text: s[`${SSID}channel`] || "" }),
          h("td", { text: s[`${SSID}crypt_string`] || "" }),
          h("td", { text: fmtTime(s[`${SSID}first_time`]) }),
          h("td", { text: fmtTime(s[`${SSID}last_time`]) }))))));
    }
    if (probed.length) {
      parts.push(h("h4", { text: "Probed for" }),
        h("ul", { class: "chips", "aria-label": "Probed SSIDs" }, probed.map((p) =>
          h("li", { class: "chip", text: p[`${PROBED}ssid`] || "(any network)" }))));
    }
    replace(this.ssids, parts);
  }

  renderClients(record, dot11) {
    const associated = (dot11 && dot11[D11.associated]) || {};
    const clientMap = (dot11 && dot11[D11.clientMap]) || {};
    const parts = [];
    const entries = Object.entries(associated);
    if (entries.length) {
      const keys = entries.map(([, k]) => k);
      const list = h("ul", { class: "client-list", "aria-label": "Associated clients" },
        entries.map(([mac, key]) => h("li", { dataset: { key } },
          h("a", { href: deviceHref(key), class: "mono", text: mac }),
          h("span", { class: "sub client-info" }))));
      parts.push(h("p", { class: "muted", text: `${entries.length} associated client${entries.length === 1 ? "" : "s"}` }), list);
      this.fillClients(list, keys);
    }
    const bssids = Object.entries(clientMap);
    if (bssids.length) {
      parts.push(h("h4", { text: "Associated with" }),
        h("ul", { class: "client-list", "aria-label": "Access points this device used" },
          bssids.map(([bssid, rec]) => {
            const apKey = rec["dot11.client.bssid_key"];
            return h("li", {}, apKey
              ? h("a", { href: deviceHref(apKey), class: "mono", text: bssid })
              : h("span", { class: "mono", text: bssid }),
            h("span", { class: "sub", text: `last seen ${fmtTime(rec["dot11.client.last_time"])}` }));
          })));
    }
    this.clientSection.hidden = !parts.length;
    replace(this.clients, parts);
  }

  async fillClients(list, keys) {
    let records;
    try {
      records = await post("devices/multikey/devices.json", { devices: keys, fields: CLIENT_FIELDS });
    } catch {
      return;
    }
    const byKey = new Map(records.map((r) => [r[DEV.key], r]));
    for (const li of list.querySelectorAll("li[data-key]")) {
      const r = byKey.get(li.dataset.key);
      if (!r) continue;
      const name = r[DEV.commonname] !== r[DEV.mac] ? `${r[DEV.commonname]} · ` : "";
      setText(li.querySelector(".client-info"),
        `${name}${r[DEV.type]}${r[DEV.manuf] ? ` · ${r[DEV.manuf]}` : ""} · ${fmtNumber(r[DEV.packets])} packets`);
    }
  }

  renderHandshakes(record, dot11) {
    const list = (dot11 && dot11[D11.handshakes]) || {};
    const associated = (dot11 && dot11[D11.associated]) || {};
    const key = record[DEV.key];
    const mac = record[DEV.mac];
    const entries = Object.entries(list);
    this.handshakeSection.hidden = !entries.length;
    if (!entries.length) {
      replace(this.handshakes);
      return;
    }
    const rows = entries.map(([client, keys]) => {
      const seen = new Set(keys.map((k) => k[`${EAPOL}message_num`]));
      const last = Math.max(...keys.map((k) => k[`${EAPOL}timestamp`] || 0));
      const pmkid = keys.some((k) => k[`${EAPOL}rsn_pmkid`]);
      const clientKey = associated[client];
      return h("tr", {},
        h("td", {}, clientKey ? h("a", { href: deviceHref(clientKey), class: "mono", text: client })
          : h("span", { class: "mono", text: client })),
        h("td", {}, h("span", { class: "eapol", "aria-label": `messages seen: ${[...seen].sort().join(", ")}` },
          [1, 2, 3, 4].map((n) => h("span", { class: seen.has(n) ? "msg on" : "msg", text: `M${n}` })),
          pmkid ? h("span", { class: "msg on", text: "PMKID" }) : null)),
        h("td", { text: fmtTime(Math.floor(last)) }),
        h("td", {}, h("a", {
          href: `phy/phy80211/by-key/${seg(key)}/device/${seg(client)}/pcap/handshake.pcap`,
          class: "handshake-link", download: "", text: "Handshake pcap",
        })));
    });
    replace(this.handshakes,
      h("table", { class: "compact", "aria-label": "Handshakes" },
        h("thead", {}, h("tr", {}, ["Client", "Messages", "Last", "Download"].map((t) => h("th", { scope: "col", text: t })))),
        h("tbody", {}, rows)),
      h("p", {}, h("a", { href: `phy/phy80211/by-bssid/${seg(mac)}/pcap/${seg(mac)}-handshake.pcap`,
        class: "button-link", download: "", text: "All handshakes of this AP (pcap)" })));
  }

  renderSeenBy(record) {
    const seen = record[DEV.seenby] || [];
    replace(this.seenby, seen.length ? h("ul", { class: "plain" }, seen.map((s) => h("li", {},
      h("strong", { text: store.sourceName(s["kismet.common.seenby.uuid"]) }),
      ` · ${fmtNumber(s["kismet.common.seenby.num_packets"])} packets, last ${fmtTime(s["kismet.common.seenby.last_time"])}`)))
      : h("p", { class: "muted", text: "No source has reported this device." }));
  }

  renderTags(record) {
    const tags = Object.entries(record[DEV.tags] || {});
    replace(this.tagList, tags.length ? h("ul", { class: "chips", "aria-label": "Tags" }, tags.map(([name, value]) =>
      h("li", { class: "chip" }, h("strong", { text: name }), value ? `: ${value}` : "",
        h("button", { type: "button", class: "chip-remove", "aria-label": `Remove tag ${name}`, text: "×",
          onclick: () => this.setTag(name, "").catch(() => {}) }))))
      : h("p", { class: "muted", text: "No tags." }));
  }
}

