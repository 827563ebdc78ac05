// Small DOM and formatting helpers shared by every panel.

/**
 * Create an element. `props` keys: `class`, `text`, `on<event>` handlers,
 * `dataset`, anything else becomes an attribute (false/null/undefined are skipped).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "class") el.className = value;
    else if (name === "text") el.textContent = value;
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name in el && typeof value !== "string") el[name] = value;
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

/** Append children: nodes, strings, numbers, nested arrays; null is skipped. */
export function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
  return el;
}

/** Replace an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** Set text only when it differs (keeps selections and avoids relayout). */
export function setText(el, text) {
  const value = String(text);
  if (el.textContent !== value) el.textContent = value;
}

/** The readable text of an error body (the server's errors may be HTML). */
export function plainText(body) {
  if (!body) return "";
  if (!body.includes("<")) return body.trim();
  const doc = new DOMParser().parseFromString(body, "text/html");
  return (doc.body.textContent || "").replace(/\s+/g, " ").trim();
}

const numberFormat = new Intl.NumberFormat();

export function fmtNumber(value) {
  return typeof value === "number" && Number.isFinite(value) ? numberFormat.format(value) : "";
}

export function fmtBytes(value) {
  if (typeof value !== "number" || !Number.isFinite(value)) return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let n = value;
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? n : n.toFixed(1)} ${units[unit]}`;
}

function pad(n) {
  return String(n).padStart(2, "0");
}

/** A Unix time as local date and time (seconds precision). */
export function fmtTime(seconds) {
  if (!seconds) return "";
  const d = new Date(seconds * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} `
    + `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A Unix time as a clock time today, or a date and time otherwise. */
export function fmtShortTime(seconds) {
  if (!seconds) return "";
  const d = new Date(seconds * 1000);
  const now = new Date();
  const clock = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  if (d.toDateString() === now.toDateString()) return clock;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock}`;
}

/** A duration in seconds as "3 s", "4 min", "2 h 5 min". */
export function fmtDuration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  return minutes ? `${hours} h ${minutes} min` : `${hours} h`;
}

/** Debounce a function by `ms` milliseconds. */
export function debounce(fn, ms) {
  let timer = 0;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** A labelled form control: <label> then the control; returns [label, control]. */
export function labelled(text, control) {
  if (!control.id) control.id = uniqueId("ctl");
  return [h("label", { for: control.id, text }), control];
}

let counter = 0;
export function uniqueId(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** A <select> from [value, label] pairs. */
export function select(options, value, props = {}) {
  const el = h("select", props);
  setOptions(el, options, value);
  return el;
}

/** Replace a <select>'s options, keeping `value` selected when it is still offered. */
export function setOptions(el, options, value) {
  const signature = JSON.stringify(options);
  if (el.dataset.options !== signature) {
    el.replaceChildren(...options.map(([v, label]) => h("option", { value: v, text: label })));
    el.dataset.options = signature;
  }
  if (value !== undefined && options.some(([v]) => v === value)) el.value = value;
}

/** An inline error line that a panel shows after a failed command. */
export function errorLine() {
  const el = h("p", { class: "form-error", role: "alert", hidden: true });
  return {
    el,
    show(message) {
      el.textContent = message;
      el.hidden = false;
    },
    clear() {
      el.textContent = "";
      el.hidden = true;
    },
  };
}
