// Plugins: each loaded plugin, and its page (static content under
// /plugin/NAME/) shown inside the UI.

import { get, status } from "./api.js";
import { PLUGIN } from "./fields.js";
import { h, replace } from "./dom.js";

export class PluginsPanel {
  constructor(root) {
    this.list = h("div", { class: "cards" });
    this.frame = h("iframe", { class: "plugin-frame", title: "Plugin page", hidden: true });
    replace(root, h("div", { class: "panel-head" }, h("h2", { text: "Plugins" })), this.list, this.frame);
  }

  async show(name) {
    const plugins = await get("plugins/all_plugins.json");
    if (!plugins.length) {
      replace(this.list, h("p", { class: "muted", text: "No plugins are loaded (plugin= in kismet.conf)." }));
      return;
    }
    const cards = [];
    for (const p of plugins) {
      const path = (p[`${PLUGIN}path`] || `/plugin/${p[`${PLUGIN}name`]}/`).replace(/^\//, "");
      const page = (await status(path)).status === 200;
      cards.push(h("article", { class: "card" },
        h("div", { class: "card-head" }, h("h3", { class: "card-title", text: p[`${PLUGIN}name`] }),
          h("span", { class: "muted", text: p[`${PLUGIN}version`] })),
        h("p", { text: p[`${PLUGIN}description`] }),
        h("p", { class: "muted", text: p[`${PLUGIN}author`] ? `by ${p[`${PLUGIN}author`]}` : "" }),
        page ? h("p", {}, h("a", { href: `#/plugins/${encodeURIComponent(p[`${PLUGIN}name`])}`, text: "Open page" }),
          " · ", h("a", { href: path, target: "_blank", rel: "noopener", text: "in a new tab" })) : null));
      if (name && p[`${PLUGIN}name`] === name && page) {
        this.frame.src = path;
        this.frame.title = `Plugin page: ${name}`;
      }
    }
    replace(this.list, cards);
    this.frame.hidden = !name;
  }

  hide() {}
}
