// The message log, newest first: live from the eventbus (MESSAGE), with
// /messagebus/last-time/TS/messages for the backlog, after a reconnect and
// whenever the eventbus is down. Message times are whole seconds and the
// server keeps those strictly newer than TS, so a fetch asks from one second
// before the newest message shown and drops what it already has.

import { get, seg } from "./api.js";
import { MSG } from "./fields.js";
import { h, replace, fmtTime } from "./dom.js";
import { Poller } from "./poller.js";
import { eventbus } from "./eventbus.js";
import { store } from "./store.js";

const POLL_MS = 3000;
const KEEP = 500;
const FLAGS = [[16, "fatal"], [8, "alert"], [4, "error"], [2, "info"], [1, "debug"]];

export function flagName(flags) {
  for (const [bit, name] of FLAGS) if (flags & bit) return name;
  return "info";
}

export class MessagesPanel {
  constructor(root) {
    this.newest = 0;
    this.seen = new Set();
    this.list = h("ol", { class: "message-list", "aria-label": "Messages, newest first" });
    this.empty = h("p", { class: "muted", text: "No messages." });
    replace(root, h("div", { class: "panel-head" }, h("h2", { text: "Messages" })), this.empty, this.list);
    this.poller = new Poller(() => this.poll(), POLL_MS);
    this.loaded = false;
    store.addEventListener("restarted", () => {
      this.newest = 0;
      this.seen.clear();
    });
    eventbus.subscribe("MESSAGE", (m) => this.add([m]));
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

  /** Fetch over REST only when the eventbus cannot bring the messages. */
  async poll() {
    if (this.loaded && eventbus.live && this.caughtUp) return;
    this.caughtUp = eventbus.live;
    await this.load();
  }

  async load() {
    const since = this.newest ? this.newest - 1 : 0;
    const reply = await get(`messagebus/last-time/${seg(since)}/messages.json`);
    this.add(reply["kismet.messagebus.list"] || []);
    this.loaded = true;
  }

  add(messages) {
    for (const m of messages) {
      const time = m[`${MSG}message_time`];
      const id = `${time}|${m[`${MSG}message_flags`]}|${m[`${MSG}message_string`]}`;
      if (this.seen.has(id)) continue;
      this.seen.add(id);
      this.newest = Math.max(this.newest, time);
      const level = flagName(m[`${MSG}message_flags`]);
      this.list.insertBefore(h("li", { class: `message msg-${level}` },
        h("time", { class: "muted", datetime: new Date(time * 1000).toISOString(), text: fmtTime(time) }),
        h("span", { class: `level level-${level}`, text: level }),
        h("span", { class: "message-text", text: m[`${MSG}message_string`] })), this.list.firstChild);
    }
    while (this.list.children.length > KEEP) this.list.lastChild.remove();
    if (this.seen.size > KEEP * 4) this.seen = new Set([...this.seen].slice(-KEEP));
    this.empty.hidden = this.list.children.length > 0;
  }
}
