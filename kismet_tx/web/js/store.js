// Data several panels share, with a change event per kind.

class Store extends EventTarget {
  /** Datasource records by UUID (kept by the sources poller). */
  sources = new Map();
  /** The last /system/status answer. */
  status = null;

  setSources(records) {
    this.sources = new Map(records.map((r) => [r["kismet.datasource.uuid"], r]));
    this.dispatchEvent(new Event("sources"));
  }

  setStatus(record) {
    const restarted = this.status !== null
      && record["kismet.system.timestamp.start_sec"] !== this.status["kismet.system.timestamp.start_sec"];
    this.status = record;
    this.dispatchEvent(new Event("status"));
    if (restarted) this.dispatchEvent(new Event("restarted"));
  }

  sourceName(uuid) {
    const source = this.sources.get(uuid);
    return source ? source["kismet.datasource.name"] : uuid;
  }

  /** The server's clock from the eventbus's TIMESTAMP (once a second). */
  setTimestamp(record) {
    if (!this.status) return;
    this.status = { ...this.status, "kismet.system.timestamp.sec":
      record["kismet.system.timestamp.sec"] + record["kismet.system.timestamp.usec"] / 1e6 };
    this.statusAt = performance.now();
  }

  /** The server's clock, estimated from the last status or timestamp and the time since. */
  serverNow() {
    if (!this.status) return Date.now() / 1000;
    return this.status["kismet.system.timestamp.sec"] + (performance.now() - this.statusAt) / 1000;
  }
}

export const store = new Store();
store.statusAt = performance.now();
store.addEventListener("status", () => {
  store.statusAt = performance.now();
});
