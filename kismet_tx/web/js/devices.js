// The device list: one page of a device view at a time, fetched through
// /devices/views/VIEW/devices in datatables mode (window, sort, filter on the
// server), so the browser never holds more than the visible rows.
//
// Refresh is incremental: every tick a one-row probe of the view (sorted by
// mod_time, the server's time of a device's last change) tells whether
// anything in the view changed or the view grew; only then is the visible
// page fetched again, and only the cells whose text changed are touched.

import { post, get, seg, ApiError } from "./api.js";
import { DEV, SIGNAL_PATH } from "./fields.js";
import { h, replace, setText, select, setOptions, labelled, debounce, fmtNumber,
  fmtShortTime, fmtTime } from "./dom.js";
import { Poller } from "./poller.js";
import { store } from "./store.js";
import { DeviceDetail } from "./detail.js";

const PROBE_MS = 2000;
/** Live refetches of the page leave the server at least 4/5 of its time. */
const BUSY_FACTOR = 5;
const VIEWS_MS = 10000;
const STATE_KEY = "kismet_tx.devices";
const PAGE_SIZES = [25, 50, 100, 200, 500];
const SEEN_WITHIN = [
  ["0", "Any time"], ["-60", "Last minute"], ["-300", "Last 5 minutes"],
  ["-1800", "Last 30 minutes"], ["-3600", "Last hour"], ["-86400", "Last day"],
];

/** Columns: what the table shows and the field path the server sorts on. */
const COLUMNS = [
  { id: "type", label: "Type", sort: DEV.type },
  { id: "mac", label: "MAC / manufacturer", sort: DEV.mac },
  { id: "name", label: "Name / SSID", sort: DEV.commonname },
  { id: "crypt", label: "Crypt", sort: DEV.crypt },
  { id: "channel", label: "Channel", sort: DEV.channel },
  { id: "signal", label: "Signal", sort: SIGNAL_PATH, numeric: true },
  { id: "packets", label: "Packets", sort: DEV.packets, numeric: true },
  { id: "last", label: "Last seen", sort: DEV.last, numeric: true },
];

const FIELDS = [DEV.key, DEV.type, DEV.mac, DEV.manuf, DEV.commonname, DEV.username, DEV.crypt,
  DEV.channel, [SIGNAL_PATH, "signal"], DEV.packets, DEV.last, DEV.mod];

const DEFAULT_STATE = { view: "all", since: "0", search: "", sort: "last", dir: "desc",
  page: 0, length: 50, live: true };

function loadState() {
  try {
    return { ...DEFAULT_STATE, ...JSON.parse(sessionStorage.getItem(STATE_KEY) || "{}") };
  } catch {
    return { ...DEFAULT_STATE };
  }
}

function viewLabel(record) {
  const id = record["kismet.devices.view.id"];
  const size = fmtNumber(record["kismet.devices.view.size"]);
  if (id === "all") return `All devices (${size})`;
  if (id === "phydot11_accesspoints") return `Access points (${size})`;
  if (id.startsWith("seenby-")) return `Seen by ${store.sourceName(id.slice(7))} (${size})`;
  if (id.startsWith("phy-")) return `${id.slice(4)} devices (${size})`;
  return `${record["kismet.devices.view.description"] || id} (${size})`;
}

function signalCell(value) {
  if (!value) return [h("span", { class: "muted", text: "—" })];
  const strength = Math.max(0, Math.min(100, ((value + 100) / 70) * 100));
  const bar = h("span", { class: "signal-bar", "aria-hidden": "true" }, h("span"));
  bar.firstChild.style.width = `${strength}%`;
  return [bar, `${value} dBm`];
}

/** The cell contents of one row, keyed by column id, plus a text signature each. */
function cells(row) {
  const key = row[DEV.key];
  const name = row[DEV.commonname] || row[DEV.mac];
  return {
    type: [row[DEV.type]],
    mac: [h("span", { class: "mono", text: row[DEV.mac] }),
      row[DEV.manuf] ? h("span", { class: "sub", text: row[DEV.manuf] }) : null],
    name: [h("a", { href: `#/devices/${encodeURIComponent(key)}`, class: "device-link", text: name }),
      row[DEV.username] ? h("span", { class: "sub", text: "named by you" }) : null],
    crypt: [row[DEV.crypt]],
    channel: [row[DEV.channel]],
    signal: signalCell(row.signal),
    packets: [fmtNumber(row[DEV.packets])],
    last: [h("time", { datetime: new Date(row[DEV.last] * 1000).toISOString(),
      title: fmtTime(row[DEV.last]), text: fmtShortTime(row[DEV.last]) })],
  };
}

function signature(row, id) {
  switch (id) {
    case "type": return row[DEV.type];
    case "mac": return `${row[DEV.mac]}|${row[DEV.manuf]}`;
    case "name": return `${row[DEV.commonname]}|${row[DEV.username] || ""}`;
    case "crypt": return row[DEV.crypt];
    case "channel": return row[DEV.channel];
    case "signal": return String(row.signal);
    case "packets": return String(row[DEV.packets]);
    default: return String(row[DEV.last]);
  }
}

export class DevicesPanel {
  constructor(root) {
    this.root = root;
    this.state = loadState();
    this.draw = 0;
    this.probeSignature = "";
    this.dirty = false;
    this.settle = false;
    this.fetchedAt = 0;
    this.fetchMs = 0;
    this.rows = new Map();
    this.selected = null;
    this.detail = new DeviceDetail();
    this.build();
    this.poller = new Poller(() => this.probe(), PROBE_MS);
    this.viewsPoller = new Poller(() => this.loadViews(), VIEWS_MS);
    store.addEventListener("sources", () => this.viewsPoller.kick());
  }

  build() {
    const s = this.state;
    this.viewSelect = select([[s.view, s.view]], s.view, { onchange: () => this.change({ view: this.viewSelect.value, page: 0 }) });
    this.seenSelect = select(SEEN_WITHIN, s.since, { onchange: () => this.change({ since: this.seenSelect.value, page: 0 }) });
    this.searchInput = h("input", { type: "search", value: s.search, autocomplete: "off", spellcheck: "false",
      "aria-describedby": "device-search-help" });
    const searchNow = debounce(() => this.change({ search: this.searchInput.value.trim(), page: 0 }), 300);
    this.searchInput.addEventListener("input", searchNow);
    this.sizeSelect = select(PAGE_SIZES.map((n) => [String(n), String(n)]), String(s.length),
      { onchange: () => this.change({ length: Number(this.sizeSelect.value), page: 0 }) });
    this.liveBox = h("input", { type: "checkbox", checked: s.live,
      onchange: () => this.change({ live: this.liveBox.checked }) });
    const toolbar = h("form", { class: "toolbar", role: "search", onsubmit: (e) => e.preventDefault() },
      h("div", { class: "field" }, labelled("View", this.viewSelect)),
      h("div", { class: "field" }, labelled("Seen", this.seenSelect)),
      h("div", { class: "field grow" }, labelled("Search", this.searchInput),
        h("span", { id: "device-search-help", class: "help", text: "Part of a name or SSID, MAC, manufacturer, type, crypt or channel" })),
      h("div", { class: "field" }, labelled("Rows", this.sizeSelect)),
      h("div", { class: "field check" }, labelled("Live updates", this.liveBox)));
    this.status = h("p", { class: "table-status", "aria-live": "polite" });
    this.error = h("p", { class: "form-error", role: "alert", hidden: true });
    this.headRow = h("tr", {}, COLUMNS.map((col) => this.headerCell(col)));
    this.tbody = h("tbody");
    this.tbody.addEventListener("click", (event) => this.rowClick(event));
    this.tbody.addEventListener("keydown", (event) => this.rowKey(event));
    this.table = h("table", { class: "devices", "aria-label": "Devices", "aria-rowcount": "-1" },
      h("thead", {}, this.headRow), this.tbody);
    this.pageInfo = h("span", { class: "page-info" });
    const pageButton = (label, text, fn) => h("button", { type: "button", "aria-label": label, text, onclick: fn });
    this.first = pageButton("First page", "«", () => this.change({ page: 0 }));
    this.prev = pageButton("Previous page", "‹", () => this.change({ page: Math.max(0, this.state.page - 1) }));
    this.next = pageButton("Next page", "›", () => this.change({ page: this.state.page + 1 }));
    this.last = pageButton("Last page", "»", () => this.change({ page: Math.max(0, this.lastPage) }));
    this.lastPage = 0;
    const pager = h("nav", { class: "pager", "aria-label": "Device list pages" },
      this.first, this.prev, this.pageInfo, this.next, this.last);
    this.main = h("div", { class: "devices-main" }, toolbar, this.status, this.error,
      h("div", { class: "table-wrap" }, this.table), pager);
    this.layout = h("div", { class: "devices-layout" }, this.main, this.detail.el);
    replace(this.root, this.layout);
    this.detail.onClose = () => {
      location.hash = "#/devices";
    };
  }

  headerCell(col) {
    const indicator = h("span", { class: "sort-indicator", "aria-hidden": "true" });
    const button = h("button", { type: "button", class: "sort-button", dataset: { col: col.id },
      onclick: () => this.sortBy(col.id) }, col.label, indicator);
    const th = h("th", { scope: "col", class: col.numeric ? "num" : "", dataset: { col: col.id } }, button);
    col.th = th;
    col.indicator = indicator;
    return th;
  }

  sortBy(id) {
    const s = this.state;
    if (s.sort === id) this.change({ dir: s.dir === "desc" ? "asc" : "desc", page: 0 });
    else this.change({ sort: id, dir: COLUMNS.find((c) => c.id === id).numeric ? "desc" : "asc", page: 0 });
  }

  showSort() {
    for (const col of COLUMNS) {
      const active = col.id === this.state.sort;
      if (active) col.th.setAttribute("aria-sort", this.state.dir === "asc" ? "ascending" : "descending");
      else col.th.removeAttribute("aria-sort");
      setText(col.indicator, active ? (this.state.dir === "asc" ? "▲" : "▼") : "");
    }
  }

  change(update) {
    Object.assign(this.state, update);
    sessionStorage.setItem(STATE_KEY, JSON.stringify(this.state));
    if ("live" in update) {
      if (this.state.live && this.active) this.poller.start();
      else this.poller.stop();
      if (Object.keys(update).length === 1) return;
    }
    this.refresh();
  }

  /** Fetch the page now; a failure is shown by fetchPage or the connection banner. */
  refresh() {
    this.fetchPage().catch(() => {});
  }

  /** Called by the router when the tab is shown; `key` opens a device. */
  show(key) {
    this.active = true;
    this.showSort();
    this.viewsPoller.start();
    if (this.state.live) this.poller.start();
    else this.refresh();
    this.selectDevice(key);
  }

  hide() {
    this.active = false;
    this.poller.stop();
    this.viewsPoller.stop();
    this.detail.close(false);
  }

  selectDevice(key) {
    this.selected = key || null;
    for (const [rowKey, entry] of this.rows) entry.tr.classList.toggle("selected", rowKey === this.selected);
    this.layout.classList.toggle("with-detail", Boolean(key));
    if (key) this.detail.open(key);
    else this.detail.close(false);
  }

  async loadViews() {
    const views = await get("devices/views/all_views.json");
    const options = views.map((v) => [v["kismet.devices.view.id"], viewLabel(v)]);
    const current = this.viewSelect;
    const values = options.map(([v]) => v).join("\n");
    if (current.dataset.values === values) {
      options.forEach(([, label], i) => setText(current.options[i], label));
    } else {
      setOptions(current, options, this.state.view);
      current.dataset.values = values;
    }
    if (!options.some(([v]) => v === this.state.view)) {
      current.value = "all";
    }
  }

  async probe() {
    const command = { datatable: true, fields: [DEV.key, DEV.mod], colmap: { 0: [DEV.mod] } };
    const vars = { draw: 0, start: 0, length: 1, "order[0][column]": 0, "order[0][dir]": "desc" };
    let reply;
    try {
      reply = await post(`devices/views/${seg(this.state.view)}/devices.json`, command, { vars });
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        this.change({ view: "all", page: 0 });
        return;
      }
      throw err;
    }
    const newest = reply.data[0] || {};
    const sig = `${reply.recordsTotal}|${newest[DEV.mod] || 0}|${newest[DEV.key] || ""}`;
    if (sig !== this.probeSignature) this.dirty = true;
    this.probeSignature = sig;
    if (!this.dirty && !this.settle) return;
    // A page that is costly for the server (a search or a sort over 100,000
    // devices) is fetched again at most once per BUSY_FACTOR times its cost.
    if (performance.now() - this.fetchedAt < BUSY_FACTOR * this.fetchMs) return;
    // One more fetch after a change catches changes made in the same second
    // as that fetch (mod_time has one-second resolution).
    this.settle = this.dirty;
    this.dirty = false;
    await this.fetchPage();
  }

  async fetchPage() {
    const s = this.state;
    const column = Math.max(0, COLUMNS.findIndex((c) => c.id === s.sort));
    const command = {
      datatable: true,
      fields: FIELDS,
      colmap: Object.fromEntries(COLUMNS.map((c, i) => [String(i), [c.sort]])),
    };
    if (Number(s.since)) command.last_time = Number(s.since);
    this.draw += 1;
    const draw = this.draw;
    // Datatables search: a case-insensitive substring of any requested field.
    const vars = { draw, start: s.page * s.length, length: s.length, "search[value]": s.search,
      "order[0][column]": column, "order[0][dir]": s.dir };
    const started = performance.now();
    this.showSort();
    let reply;
    try {
      reply = await post(`devices/views/${seg(s.view)}/devices.json`, command, { vars });
    } catch (err) {
      if (draw !== this.draw) return;
      if (err instanceof ApiError && err.status === 404 && s.view !== "all") {
        this.change({ view: "all", page: 0 });
        return;
      }
      if (err instanceof ApiError && err.status > 0) {
        this.error.textContent = `Could not load devices: ${err.message}`;
        this.error.hidden = false;
      }
      throw err;
    }
    if (draw !== this.draw || reply.draw !== draw) return;
    this.fetchedAt = performance.now();
    this.fetchMs = this.fetchedAt - started;
    this.error.hidden = true;
    const filtered = reply.recordsFiltered;
    this.lastPage = Math.max(0, Math.ceil(filtered / s.length) - 1);
    if (s.page > this.lastPage && filtered > 0) {
      this.change({ page: this.lastPage });
      return;
    }
    this.render(reply.data);
    const from = filtered ? s.page * s.length + 1 : 0;
    const to = s.page * s.length + reply.data.length;
    const total = reply.recordsTotal;
    setText(this.status, filtered
      ? `Showing ${fmtNumber(from)}–${fmtNumber(to)} of ${fmtNumber(filtered)} device${filtered === 1 ? "" : "s"}`
        + (filtered !== total ? ` (${fmtNumber(total)} in this view)` : "")
      : (total ? `No devices match (${fmtNumber(total)} in this view)` : "No devices seen yet"));
    setText(this.pageInfo, `Page ${fmtNumber(s.page + 1)} of ${fmtNumber(this.lastPage + 1)}`);
    this.first.disabled = this.prev.disabled = s.page === 0;
    this.next.disabled = this.last.disabled = s.page >= this.lastPage;
  }

  render(data) {
    const seen = new Set();
    let previous = null;
    for (const row of data) {
      const key = row[DEV.key];
      seen.add(key);
      let entry = this.rows.get(key);
      if (!entry) {
        const tds = COLUMNS.map((col) => h("td", { class: col.numeric ? "num" : "", dataset: { col: col.id } }));
        const tr = h("tr", { dataset: { key } }, tds);
        entry = { tr, tds, sigs: COLUMNS.map(() => null) };
        this.rows.set(key, entry);
      }
      const content = cells(row);
      COLUMNS.forEach((col, i) => {
        const sig = signature(row, col.id);
        if (entry.sigs[i] === sig) return;
        const updated = entry.sigs[i] !== null;
        entry.sigs[i] = sig;
        replace(entry.tds[i], content[col.id]);
        if (updated) {
          entry.tds[i].classList.remove("changed");
          void entry.tds[i].offsetWidth;
          entry.tds[i].classList.add("changed");
        }
      });
      entry.tr.classList.toggle("selected", key === this.selected);
      const expected = previous ? previous.nextSibling : this.tbody.firstChild;
      if (expected !== entry.tr) this.tbody.insertBefore(entry.tr, expected);
      previous = entry.tr;
    }
    for (const [key, entry] of this.rows) {
      if (!seen.has(key)) {
        entry.tr.remove();
        this.rows.delete(key);
      }
    }
  }

  rowClick(event) {
    if (event.target.closest("a, button")) return;
    const tr = event.target.closest("tr[data-key]");
    if (tr) location.hash = `#/devices/${encodeURIComponent(tr.dataset.key)}`;
  }

  rowKey(event) {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    const tr = event.target.closest("tr[data-key]");
    if (!tr) return;
    const target = event.key === "ArrowDown" ? tr.nextElementSibling : tr.previousElementSibling;
    const link = target && target.querySelector("a.device-link");
    if (link) {
      event.preventDefault();
      link.focus();
    }
  }
}

