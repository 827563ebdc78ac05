// Entry point: login, header (packet rate, devices, GPS, connection), the
// hash router that shows one panel at a time, and the shared polls.

import { auth, checkLogin, connection, get, post, seg, status, ApiError } from "./api.js";
import { setText } from "./dom.js";
import { sparkline } from "./charts.js";
import { Poller } from "./poller.js";
import { store } from "./store.js";
import { eventbus } from "./eventbus.js";
import { DevicesPanel } from "./devices.js";
import { SourcesPanel, rrdSeconds } from "./sources.js";
import { ChannelsPanel } from "./channels.js";
import { AlertsPanel } from "./alerts.js";
import { MessagesPanel } from "./messages.js";
import { StreamsPanel } from "./streams.js";
import { GpsPanel } from "./gps.js";
import { PluginsPanel } from "./plugins.js";
import { DEV, SRC } from "./fields.js";

const $ = (id) => document.getElementById(id);
const LOGGED_IN = "kismet_tx.logged-in";
const STATUS_FIELDS = ["kismet.system.server_name", "kismet.system.devices.count",
  "kismet.system.timestamp.sec", "kismet.system.timestamp.start_sec"];

let panels = null;
let polls = [];
let current = null;

function showConnection() {
  const online = connection.online;
  $("conn-banner").hidden = online;
  const state = $("conn-state");
  state.dataset.state = online ? "live" : "reconnecting";
  setText(state, online ? "Live" : "Reconnecting…");
  document.body.classList.toggle("offline", !online);
}

function packetRate() {
  const now = Math.floor(store.serverNow());
  const total = new Array(60).fill(0);
  for (const source of store.sources.values()) {
    rrdSeconds(source[`${SRC}packets_rrd`], now).forEach((v, i) => { total[i] += v; });
  }
  // The newest slot is the second in progress: average the five before it.
  const recent = total.slice(-6, -1);
  const rate = recent.reduce((a, b) => a + b, 0) / recent.length;
  setText($("rate-value"), rate >= 10 ? Math.round(rate).toLocaleString() : rate.toFixed(1));
  sparkline($("rate-spark"), total.slice(0, -1));
  $("rate-spark").setAttribute("aria-label", `Packet rate over the last minute, now ${rate.toFixed(1)} packets per second`);
}

async function loadStatus() {
  const record = await post("system/status.json", { fields: STATUS_FIELDS });
  store.setStatus(record);
  setText($("server-name"), record["kismet.system.server_name"] || "");
  setText($("device-count"), (record["kismet.system.devices.count"] || 0).toLocaleString());
}

async function loadSources() {
  store.setSources(await get("datasource/all_sources.json"));
  packetRate();
}

const TABS = ["devices", "sources", "channels", "alerts", "messages", "streams", "gps", "plugins"];

async function resolveMac(mac) {
  try {
    const found = await post(`devices/by-mac/${seg(mac)}/devices.json`, { fields: [DEV.key] });
    if (found.length) {
      location.replace(`#/devices/${encodeURIComponent(found[0][DEV.key])}`);
      return;
    }
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
  }
  panels.devices.change({ search: mac, page: 0 });
  panels.devices.searchInput.value = mac;
  location.replace("#/devices");
}

function route() {
  if (!panels) return;
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  let [tab, arg] = parts;
  if (tab === "mac" && arg) {
    resolveMac(arg).catch((err) => console.error(err));
    return;
  }
  if (!TABS.includes(tab)) {
    tab = "devices";
    arg = undefined;
  }
  if (current !== tab) {
    if (current && panels[current].hide) panels[current].hide();
    for (const name of TABS) {
      $(`tab-${name}`).hidden = name !== tab;
      const link = document.querySelector(`nav.tabs a[data-tab="${name}"]`);
      if (name === tab) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    current = tab;
  }
  const panel = panels[tab];
  if (panel.show) {
    const shown = panel.show(arg);
    if (shown && shown.catch) shown.catch((err) => console.error(err));
  }
  if (tab === "sources") panels.sources.update();
}

function buildPanels() {
  panels = {
    devices: new DevicesPanel($("tab-devices")),
    sources: new SourcesPanel($("tab-sources")),
    channels: new ChannelsPanel($("tab-channels")),
    alerts: new AlertsPanel($("tab-alerts"), $("alert-badge")),
    messages: new MessagesPanel($("tab-messages")),
    streams: new StreamsPanel($("tab-streams")),
    gps: new GpsPanel($("tab-gps"), $("gps-badge")),
    plugins: new PluginsPanel($("tab-plugins")),
  };
  const statusPoll = new Poller(loadStatus, 2000);
  const sourcesPoll = new Poller(loadSources, 2000);
  store.addEventListener("refresh-sources", () => sourcesPoll.kick());
  eventbus.subscribe("TIMESTAMP", (record) => store.setTimestamp(record));
  polls = [statusPoll, sourcesPoll, panels.alerts, panels.messages, panels.gps];
  window.addEventListener("hashchange", route);
}

function startApp() {
  $("login-screen").hidden = true;
  $("app").hidden = false;
  if (!panels) buildPanels();
  for (const poll of polls) poll.start();
  eventbus.connect();
  current = null;
  route();
}

function stopApp() {
  for (const poll of polls) poll.stop();
  eventbus.disconnect();
  if (panels && current && panels[current].hide) panels[current].hide();
  current = null;
}

async function setupHint() {
  const hint = $("login-hint");
  const setup = await status("session/check_setup_ok");
  if (setup.status === 406) {
    hint.textContent = "The login is set in the server's kismet.conf (httpd_username and httpd_password).";
  } else if (setup.status === 500) {
    setText($("login-intro"), "No login is configured yet: choose the administrator's user name and password.");
    setText($("login-submit"), "Set login");
    $("login-form").dataset.mode = "setup";
    hint.textContent = "";
  } else {
    hint.replaceChildren(
      "First start? The server generated a password and wrote it to ",
      Object.assign(document.createElement("code"), { textContent: "kismet_httpd.conf" }),
      " in its home directory (",
      Object.assign(document.createElement("code"), { textContent: "~/.kismet/kismet_httpd.conf" }),
      " by default, or the --homedir given to twistd); the server log names the file.");
  }
}

function showLogin(message) {
  stopApp();
  $("app").hidden = true;
  $("login-screen").hidden = false;
  const error = $("login-error");
  error.hidden = !message;
  error.textContent = message || "";
  setupHint();
  $("login-password").focus();
}

async function submitLogin(event) {
  event.preventDefault();
  const form = $("login-form");
  const user = $("login-user").value.trim();
  const password = $("login-password").value;
  const error = $("login-error");
  const button = $("login-submit");
  error.hidden = true;
  button.disabled = true;
  try {
    if (form.dataset.mode === "setup") {
      await post("session/set_password", {}, { vars: { username: user, password } });
      delete form.dataset.mode;
    }
    await checkLogin(user, password);
    localStorage.setItem(LOGGED_IN, "1");
    $("login-password").value = "";
    startApp();
  } catch (err) {
    error.textContent = err.status === 403 ? "Wrong user name or password."
      : err.status === 0 ? "The server cannot be reached." : err.message;
    error.hidden = false;
  } finally {
    button.disabled = false;
  }
}

async function main() {
  connection.addEventListener("change", showConnection);
  auth.addEventListener("required", () => {
    localStorage.removeItem(LOGGED_IN);
    if (!$("app").hidden) showLogin("Your session has ended: log in again.");
  });
  $("login-form").addEventListener("submit", submitLogin);
  window.addEventListener("resize", () => {
    if (panels) packetRate();
  });
  if (localStorage.getItem(LOGGED_IN)) {
    const session = await status("session/check_session");
    if (session.status === 200) {
      startApp();
      return;
    }
  }
  showLogin();
}

main();
