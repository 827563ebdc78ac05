// The one way the UI talks to the server: the public REST API, relative URLs
// (so an httpd_uri_prefix works), the KISMET session cookie, and two shared
// states: the connection (live or reconnecting) and the login.

import { plainText } from "./dom.js";

/** A failed request: `status` is 0 when the server could not be reached. */
export class ApiError extends Error {
  constructor(status, message, url) {
    super(message);
    this.status = status;
    this.url = url;
  }
}

const HEADERS = { "X-Requested-With": "XMLHttpRequest" };
const PROBE_URL = "system/timestamp.json";
const RETRY_MS = [500, 1000, 2000, 3000, 5000];

/**
 * Connection state. Any request that cannot reach the server switches it to
 * "reconnecting"; one loop then probes the server with backoff and switches
 * back to "live" (event `online`) when it answers. Pollers wait meanwhile.
 */
class Connection extends EventTarget {
  online = true;
  #attempt = 0;
  #timer = 0;

  lost() {
    if (!this.online) return;
    this.online = false;
    this.#attempt = 0;
    this.dispatchEvent(new Event("change"));
    this.#schedule();
  }

  #schedule() {
    clearTimeout(this.#timer);
    const delay = RETRY_MS[Math.min(this.#attempt, RETRY_MS.length - 1)];
    this.#attempt += 1;
    this.#timer = setTimeout(() => this.#probe(), delay);
  }

  async #probe() {
    try {
      const reply = await fetch(PROBE_URL, { headers: HEADERS, cache: "no-store" });
      if (reply.status >= 500) throw new Error(String(reply.status));
      this.restored();
    } catch {
      this.#schedule();
    }
  }

  restored() {
    if (this.online) return;
    clearTimeout(this.#timer);
    this.online = true;
    this.dispatchEvent(new Event("change"));
    this.dispatchEvent(new Event("online"));
  }
}

export const connection = new Connection();

/** Login state: `required` fires when the server answers 401. */
export const auth = new EventTarget();

async function send(url, init) {
  let reply;
  try {
    reply = await fetch(url, { credentials: "same-origin", cache: "no-store", ...init });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    connection.lost();
    throw new ApiError(0, "The server cannot be reached", url);
  }
  if (reply.status === 502 || reply.status === 503 || reply.status === 504) {
    connection.lost();
    throw new ApiError(reply.status, "The server is not answering", url);
  }
  connection.restored();
  if (!reply.ok) {
    const message = plainText(await reply.text()) || `${reply.status} ${reply.statusText}`;
    if (reply.status === 401) auth.dispatchEvent(new Event("required"));
    throw new ApiError(reply.status, message, url);
  }
  return reply;
}

async function body(reply) {
  const type = reply.headers.get("Content-Type") || "";
  if (type.includes("json")) return reply.json();
  return reply.text();
}

/** GET a URL; JSON answers are decoded, anything else comes back as text. */
export async function get(url, { signal, headers } = {}) {
  return body(await send(url, { headers: { ...HEADERS, ...headers }, signal }));
}

/**
 * POST a command the way Kismet's own clients do: the form field `json`
 * holds the command dictionary; `vars` are extra form variables (datatables).
 */
export async function post(url, command = {}, { vars = {}, signal } = {}) {
  const form = new URLSearchParams({ json: JSON.stringify(command), ...vars });
  return body(await send(url, { method: "POST", headers: HEADERS, body: form, signal }));
}

/** GET with an explicit Basic login (used only by the login form). */
export async function checkLogin(user, password) {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  const headers = { Authorization: `Basic ${btoa(binary)}` };
  return get("session/check_login", { headers });
}

/** The status of a GET without throwing (setup and session checks). */
export async function status(url) {
  try {
    const reply = await fetch(url, { headers: HEADERS, credentials: "same-origin",
      cache: "no-store" });
    return { status: reply.status, text: await reply.text() };
  } catch {
    return { status: 0, text: "" };
  }
}

/** Percent-encode one path segment (device keys, view ids, UUIDs, MACs; ":" stays). */
export function seg(value) {
  return encodeURIComponent(String(value)).replace(/%3A/gi, ":");
}
