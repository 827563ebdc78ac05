// GPS status: the current fix and position (header badge and panel), and
// every GPS the server knows.

import { get } from "./api.js";
import { LOC, GPS } from "./fields.js";
import { h, replace, setText, fmtTime } from "./dom.js";
import { Poller } from "./poller.js";

const POLL_MS = 3000;

export function fixName(fix) {
  if (fix >= 3) return "3D fix";
  if (fix === 2) return "2D fix";
  return "no fix";
}

function position(loc) {
  const [lon, lat] = loc[`${LOC}geopoint`] || [0, 0];
  return `${lat.toFixed(6)}, ${lon.toFixed(6)}`;
}

export class GpsPanel {
  constructor(root, badge) {
    this.badge = badge;
    this.location = h("div");
    this.list = h("div");
    replace(root, h("div", { class: "panel-head" }, h("h2", { text: "GPS" })),
      h("section", { class: "card stacked", "aria-labelledby": "gps-now" },
        h("h3", { id: "gps-now", text: "Current location" }), this.location),
      h("section", { class: "card stacked", "aria-labelledby": "gps-list" },
        h("h3", { id: "gps-list", text: "GPS devices" }), this.list));
    this.poller = new Poller(() => this.load(), POLL_MS);
  }

  start() {
    this.poller.start();
  }

  stop() {
    this.poller.stop();
  }

  async load() {
    const [loc, all] = await Promise.all([get("gps/location.json"), get("gps/all_gps.json")]);
    const fix = loc[`${LOC}fix`] || 0;
    const gpsCount = Array.isArray(all) ? all.length : 0;
    const badgeText = !gpsCount ? "GPS: none" : fix >= 2 ? `GPS: ${fixName(fix)} ${position(loc)}` : "GPS: no fix";
    setText(this.badge, badgeText);
    this.badge.dataset.fix = fix >= 2 ? "yes" : "no";
    const rows = [["Fix", fixName(fix)]];
    if (fix >= 2) {
      rows.push(["Position", position(loc)]);
      if (fix >= 3) rows.push(["Altitude", `${(loc[`${LOC}alt`] || 0).toFixed(1)} m`]);
      rows.push(["Speed", `${(loc[`${LOC}speed`] || 0).toFixed(1)} km/h`],
        ["Heading", `${(loc[`${LOC}heading`] || 0).toFixed(0)}°`],
        ["Time", fmtTime(loc[`${LOC}time_sec`])]);
    }
    replace(this.location, h("dl", { class: "kv" }, rows.map(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })])));
    replace(this.list, gpsCount ? h("table", { class: "compact", "aria-label": "GPS devices" },
      h("thead", {}, h("tr", {}, ["Name", "Type", "Connected", "Fix", "Definition"].map((t) => h("th", { scope: "col", text: t })))),
      h("tbody", {}, all.map((g) => {
        const here = g[`${GPS}location`] || {};
        const type = g[`${GPS}type`] || {};
        return h("tr", {},
          h("td", { text: g[`${GPS}name`] }),
          h("td", { text: type[`${GPS}type.class`] || "" }),
          h("td", { text: g[`${GPS}connected`] ? "yes" : "no" }),
          h("td", { text: fixName(here[`${LOC}fix`] || 0) }),
          h("td", { class: "mono wrap", text: g[`${GPS}definition`] || "" }));
      })))
      : h("p", { class: "muted", text: "No GPS is configured (gps= in kismet.conf, or /gps/add_gps.cmd)." }));
  }
}
