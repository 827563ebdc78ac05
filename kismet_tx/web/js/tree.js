// A collapsible tree of a JSON record. Branches are <details> elements (native
// keyboard support); children are built only when a branch is first opened,
// and the open branches are remembered by path across re-renders.

import { h } from "./dom.js";

const LIST_CHUNK = 100;

function kind(value) {
  if (Array.isArray(value)) return "array";
  if (value === null) return "null";
  return typeof value;
}

function summary(value) {
  if (Array.isArray(value)) return `${value.length} item${value.length === 1 ? "" : "s"}`;
  const n = Object.keys(value).length;
  return `${n} field${n === 1 ? "" : "s"}`;
}

function leaf(name, value) {
  const type = kind(value);
  const shown = type === "string" ? JSON.stringify(value) : String(value);
  return h("div", { class: "tree-leaf", role: "treeitem" },
    h("span", { class: "tree-key", text: name }),
    h("span", { class: `tree-value tree-${type}`, text: shown }));
}

/** Arrays of plain numbers (RRD vectors) print on one line. */
function numbers(value) {
  return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "number");
}

function node(name, value, path, open) {
  if (value === null || typeof value !== "object") return leaf(name, value);
  if (numbers(value)) return leaf(name, `[${value.join(", ")}]`);
  const details = h("details", { class: "tree-branch", role: "treeitem", dataset: { path } },
    h("summary", {},
      h("span", { class: "tree-key", text: name }),
      h("span", { class: "tree-meta", text: summary(value) })));
  let built = false;
  const build = () => {
    if (built) return;
    built = true;
    const body = h("div", { class: "tree-children", role: "group" });
    const entries = Array.isArray(value)
      ? value.map((v, i) => [String(i), v])
      : Object.entries(value);
    const more = (from) => {
      for (const [key, child] of entries.slice(from, from + LIST_CHUNK)) {
        body.appendChild(node(key, child, `${path}/${key}`, open));
      }
      if (entries.length > from + LIST_CHUNK) {
        const button = h("button", {
          type: "button", class: "link-button",
          text: `Show ${Math.min(LIST_CHUNK, entries.length - from - LIST_CHUNK)} more`,
          onclick: () => {
            button.remove();
            more(from + LIST_CHUNK);
          },
        });
        body.appendChild(button);
      }
    };
    more(0);
    details.appendChild(body);
  };
  details.addEventListener("toggle", () => {
    if (details.open) {
      open.add(path);
      build();
    } else {
      open.delete(path);
    }
  });
  if (open.has(path)) {
    details.open = true;
    build();
  }
  return details;
}

/** The tree of `record`; `open` (a Set of paths) keeps expanded branches. */
export function jsonTree(record, open) {
  const root = h("div", { class: "tree", role: "tree" });
  for (const [key, value] of Object.entries(record || {})) {
    root.appendChild(node(key, value, key, open));
  }
  return root;
}
