// The server's event bus over one websocket (/eventbus/events.ws): panels
// subscribe to topics (MESSAGE, ALERT, TIMESTAMP, ...) and get each event's
// record. The session cookie logs the socket in. The socket reconnects with
// a growing delay; `live` says whether it is up, so a panel can fall back to
// polling while it is not. A URL relative to the page keeps httpd_uri_prefix.

const MAX_DELAY_MS = 10000;

class EventBus extends EventTarget {
  #socket = null;
  #listeners = new Map();
  #delay = 500;
  #timer = 0;
  #wanted = false;
  live = false;

  /** Call `callback(record)` for every event of `topic`. */
  subscribe(topic, callback) {
    if (!this.#listeners.has(topic)) {
      this.#listeners.set(topic, []);
      this.#send({ SUBSCRIBE: topic });
    }
    this.#listeners.get(topic).push(callback);
  }

  connect() {
    this.#wanted = true;
    if (this.#socket) return;
    const url = new URL("eventbus/events.ws", document.baseURI);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(url);
    this.#socket = socket;
    socket.addEventListener("open", () => {
      this.#delay = 500;
      for (const topic of this.#listeners.keys()) this.#send({ SUBSCRIBE: topic });
      this.#setLive(true);
    });
    socket.addEventListener("message", (event) => this.#deliver(event.data));
    socket.addEventListener("close", () => {
      this.#socket = null;
      this.#setLive(false);
      if (!this.#wanted) return;
      this.#timer = setTimeout(() => this.connect(), this.#delay);
      this.#delay = Math.min(this.#delay * 2, MAX_DELAY_MS);
    });
  }

  disconnect() {
    this.#wanted = false;
    clearTimeout(this.#timer);
    if (this.#socket) this.#socket.close();
  }

  #send(request) {
    if (this.#socket && this.#socket.readyState === WebSocket.OPEN) {
      this.#socket.send(JSON.stringify(request));
    }
  }

  #deliver(data) {
    let event;
    try {
      event = JSON.parse(data);
    } catch {
      return;
    }
    for (const [topic, record] of Object.entries(event)) {
      for (const callback of this.#listeners.get(topic) || []) callback(record);
    }
  }

  #setLive(live) {
    if (this.live === live) return;
    this.live = live;
    this.dispatchEvent(new Event(live ? "live" : "down"));
  }
}

export const eventbus = new EventBus();
