// A polling loop: runs `task`, waits `interval` ms, runs it again. It never
// overlaps itself, slows down while the page is hidden, waits while the
// server is unreachable and runs at once when the connection comes back.

import { connection } from "./api.js";

const HIDDEN_FACTOR = 5;

export class Poller {
  #task;
  #interval;
  #timer = 0;
  #running = false;
  #busy = false;
  #again = false;

  constructor(task, interval) {
    this.#task = task;
    this.#interval = interval;
    connection.addEventListener("online", () => this.kick());
  }

  get running() {
    return this.#running;
  }

  start() {
    if (this.#running) return;
    this.#running = true;
    this.kick();
  }

  stop() {
    this.#running = false;
    clearTimeout(this.#timer);
  }

  /** Run now (or right after the run in progress). */
  kick() {
    if (!this.#running) return;
    clearTimeout(this.#timer);
    if (this.#busy) {
      this.#again = true;
      return;
    }
    this.#run();
  }

  async #run() {
    if (!connection.online) return;
    this.#busy = true;
    try {
      await this.#task();
    } catch (err) {
      if (err && err.name !== "AbortError" && !(err.status >= 0)) console.error(err);
    } finally {
      this.#busy = false;
    }
    if (!this.#running) return;
    if (this.#again) {
      this.#again = false;
      this.#run();
      return;
    }
    const wait = document.hidden ? this.#interval * HIDDEN_FACTOR : this.#interval;
    this.#timer = setTimeout(() => this.#run(), wait);
  }
}
