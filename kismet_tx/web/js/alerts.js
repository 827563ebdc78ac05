// Alerts, live and newest first: from the eventbus (ALERT) as they are raised,
// with /alerts/last-time/TS/alerts (TS the newest alert timestamp shown) for
// the backlog, after a reconnect and whenever the eventbus is down. New alerts
// are put on top without touching the rest of the list.

import { get, seg } from "./api.js";
import { ALERT, unsetMac } from "./fields.js";
import { h, replace, setText, fmtTime } from "./dom.js";
import { Poller } from "./poller.js";
import { eventbus } from "./eventbus.js";
import { store } from "./store.js";

const POLL_MS = 2000;
const KEEP = 500;

/** Kismet severities: 0 info, 5 low, 10 medium, 15 high, 20 critical. */
export function severityName(value) {
  if (value >= 20) return "critical";
  if (value >= 15) return "high";
  if (value >= 10) return "medium";
  if (value >= 5) return "low";
  return "info";
}

function macLink(label, mac) {
  if (unsetMac(mac) || mac === "FF:FF:FF:FF:FF:FF") return null;
  return h("span", { class: "alert-mac" }, `${label} `,
    h("a", { href: `#/mac/${encodeURIComponent(mac)}`, class: "mono", text: mac }));
}

function alertItem(a) {
  const severity = severityName(a[`${ALERT}severity`] || 0);
  const key = a[`${ALERT}device_key`];
  const time = a[`${ALERT}timestamp`];
  return h("li", { class: `alert sev-${severity}`, dataset: { hash: String(a[`${ALERT}hash`]) } },
    h("div", { class: "alert-head" },
      h("span", { class: `sev sev-${severity}`, text: severity }),
      h("strong", { class: "alert-name", text: a[`${ALERT}header`] }),
      h("span", { class: "muted", text: a[`${ALERT}class`] }),
      h("time", { class: "muted", datetime: new Date(time * 1000).toISOString(), text: fmtTime(Math.floor(time)) })),
    h("p", { class: "alert-text", text: a[`${ALERT}text`] }),
    h("div", { class: "alert-links" },
      key && key !== "0000000000000000_0" ? h("a", { href: `#/devices/${encodeURIComponent(key)}`, text: "Open device" }) : null,
      macLink("transmitter", a[`${ALERT}transmitter_mac`]),
      macLink("source", a[`${ALERT}source_mac`]),
      macLink("destination", a[`${ALERT}dest_mac`]),
      a[`${ALERT}channel`] ? h("span", { class: "muted", text: `channel ${a[`${ALERT}channel`]}` }) : null));
}

export class AlertsPanel {
  constructor(root, badge) {
    this.badge = badge;
    this.cursor = 0;
    this.unseen = 0;
    this.visible = false;
    this.list = h("ol", { class: "alert-list", "aria-live": "polite", "aria-label": "Alerts, newest first" });
    this.empty = h("p", { class: "muted", text: "No alerts." });
    this.count = h("p", { class: "muted" });
    replace(root, h("div", { class: "panel-head" }, h("h2", { text: "Alerts" })), this.count, this.empty, this.list);
    this.poller = new Poller(() => this.poll(), POLL_MS);
    this.shown = new Set();
    store.addEventListener("restarted", () => {
      this.cursor = 0;
      this.shown.clear();
      this.list.replaceChildren();
    });
    eventbus.subscribe("ALERT", (alert) => this.add([alert]));
    eventbus.addEventListener("live", () => {
      this.caughtUp = false;
      this.poller.kick();
    });
  }

  start() {
    this.poller.start();
  }

  stop() {
    this.poller.stop();
  }

  show() {
    this.visible = true;
    this.unseen = 0;
    this.showBadge();
  }

  hide() {
    this.visible = false;
  }

  showBadge() {
    this.badge.hidden = this.unseen === 0;
    setText(this.badge, this.unseen > 99 ? "99+" : String(this.unseen));
    this.badge.setAttribute("aria-label", `${this.unseen} new alerts`);
  }

  /** Fetch over REST only when the eventbus cannot bring the alerts. */
  async poll() {
    if (this.loaded && eventbus.live && this.caughtUp) return;
    this.caughtUp = eventbus.live;
    await this.load();
  }

  async load() {
    const reply = await get(`alerts/last-time/${seg(this.cursor)}/alerts.json`);
    this.add(reply["kismet.alert.list"] || []);
  }

  add(alerts) {
    const fresh = alerts
      .filter((a) => !this.shown.has(a[`${ALERT}hash`]))
      .sort((a, b) => a[`${ALERT}timestamp`] - b[`${ALERT}timestamp`]);
    for (const alert of fresh) {
      this.shown.add(alert[`${ALERT}hash`]);
      this.list.insertBefore(alertItem(alert), this.list.firstChild);
      this.cursor = Math.max(this.cursor, alert[`${ALERT}timestamp`]);
    }
    while (this.list.children.length > KEEP) this.list.lastChild.remove();
    if (this.shown.size > KEEP * 4) this.shown = new Set([...this.shown].slice(-KEEP));
    if (fresh.length && !this.visible && this.loaded) {
      this.unseen += fresh.length;
      this.showBadge();
    }
    this.loaded = true;
    this.empty.hidden = this.list.children.length > 0;
    const n = this.list.children.length;
    setText(this.count, n ? `${n} alert${n === 1 ? "" : "s"}, newest first.` : "");
  }
}
