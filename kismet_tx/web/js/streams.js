// Active streams (pcapng over HTTP and logs) with packets, size and drops,
// and a close button for each (/streams/by-id/ID/close_stream.cmd).

import { get, post, seg } from "./api.js";
import { STREAM } from "./fields.js";
import { h, replace, fmtNumber, fmtBytes, fmtTime, errorLine } from "./dom.js";
import { Poller } from "./poller.js";

const POLL_MS = 2000;

export class StreamsPanel {
  constructor(root) {
    this.tbody = h("tbody");
    this.error = errorLine();
    this.empty = h("p", { class: "muted", text: "No active streams." });
    this.table = h("table", { class: "compact streams-table", "aria-label": "Streams" },
      h("thead", {}, h("tr", {}, ["ID", "Name", "Type", "Client or path", "Started", "Packets", "Size", "Dropped", ""]
        .map((t, i) => h("th", { scope: "col", class: i >= 5 && i <= 7 ? "num" : "", text: t })))),
      this.tbody);
    replace(root, h("div", { class: "panel-head" }, h("h2", { text: "Streams" })),
      h("p", { class: "muted", text: "pcapng streams served over HTTP and packet logs being written." }),
      this.error.el, this.empty, this.table);
    this.poller = new Poller(() => this.load(), POLL_MS);
  }

  show() {
    this.poller.start();
  }

  hide() {
    this.poller.stop();
  }

  async load() {
    const streams = Object.values(await get("streams/all_streams.json"))
      .sort((a, b) => a[`${STREAM}stream_id`] - b[`${STREAM}stream_id`]);
    this.empty.hidden = streams.length > 0;
    this.table.hidden = streams.length === 0;
    replace(this.tbody, streams.map((s) => {
      const id = s[`${STREAM}stream_id`];
      const name = s[`${STREAM}name`];
      const dropped = s[`${STREAM}dropped_packets`] || 0;
      return h("tr", { dataset: { id: String(id) } },
        h("td", { text: String(id) }),
        h("td", {}, h("strong", { text: name }), h("span", { class: "sub", text: s[`${STREAM}description`] })),
        h("td", { text: s[`${STREAM}type`] }),
        h("td", { class: "mono wrap", text: s[`${STREAM}path`] }),
        h("td", { text: fmtTime(s[`${STREAM}time`]) }),
        h("td", { class: "num", text: fmtNumber(s[`${STREAM}packets`]) }),
        h("td", { class: "num", text: fmtBytes(s[`${STREAM}size`]) }),
        h("td", { class: dropped ? "num warn" : "num", text: fmtNumber(dropped) }),
        h("td", {}, h("button", { type: "button", class: "danger", text: "Close",
          "aria-label": `Close stream ${id} (${name})`, onclick: (event) => this.close(id, event.currentTarget) })));
    }));
  }

  async close(id, button) {
    this.error.clear();
    button.disabled = true;
    try {
      await post(`streams/by-id/${seg(id)}/close_stream.cmd`, {});
      this.poller.kick();
    } catch (err) {
      button.disabled = false;
      this.error.show(`Could not close stream ${id}: ${err.message}`);
    }
  }
}
