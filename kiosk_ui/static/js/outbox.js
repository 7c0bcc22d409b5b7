// The outbox: every scan is written to IndexedDB first, then sent in batches to
// POST /events/<slug>/scans/batch. A scan leaves the outbox only when the server
// acknowledged it (201 stored, 200 already stored); a 422 stays, with the server's
// message, for a person to fix; anything else is retried with backoff. The server
// stores each client_id once, so sending twice is harmless. No Background Sync:
// Safari and Firefox lack it, so flushing happens on load, on `online`, on a timer
// and on demand.
import { call } from "./api.js";
import { countInState, putScans, pruneSent, scansInState } from "./store.js";

const MAX_ITEMS = 500; // the server's batch limit
const MAX_BYTES = 700_000; // well under the server's 1 MB body limit
const BACKOFF_MS = [1000, 2000, 5000, 10000, 20000, 30000];
const KEEP_SENT = 200;

export class Outbox {
  constructor({ getAuth, onChange, onRevoked }) {
    this.getAuth = getAuth; // () => {token, slug} or null
    this.onChange = onChange; // (status) => void
    this.onRevoked = onRevoked; // (message) => void
    this.failures = 0;
    this.retryAt = 0;
    this.flushing = null;
    this.again = false;
    this.reachable = null; // null: not tried yet
    this.lastSync = null;
  }

  async add(record) {
    await putScans([record]);
    await this.changed();
  }

  async changed() {
    const slug = this.getAuth()?.slug ?? "";
    this.onChange({
      waiting: await countInState(slug, "waiting"),
      rejected: await countInState(slug, "rejected"),
      reachable: this.reachable,
      lastSync: this.lastSync,
    });
  }

  // Send everything waiting. Concurrent calls share one run; `force` skips the backoff wait.
  flush({ force = false } = {}) {
    if (force) this.retryAt = 0;
    if (this.flushing) {
      this.again = true;
      return this.flushing;
    }
    this.flushing = this.#run().finally(() => {
      this.flushing = null;
      if (this.again) {
        this.again = false;
        this.flush();
      }
    });
    return this.flushing;
  }

  async #run() {
    const auth = this.getAuth();
    if (!auth || Date.now() < this.retryAt) return;
    const work = () => this.#drain(auth);
    // Two kiosk tabs on one tablet must not send the same batch at the same time.
    await (navigator.locks ? navigator.locks.request("kiosk-outbox", work) : work());
  }

  async #drain(auth) {
    for (;;) {
      const batch = pack(await scansInState(auth.slug, "waiting", MAX_ITEMS));
      if (!batch.length) break;
      let response;
      try {
        response = await call(`/events/${encodeURIComponent(auth.slug)}/scans/batch`, {
          method: "POST", token: auth.token, body: { scans: batch.map((r) => r.scan) }, timeout: 60000,
        });
      } catch (error) {
        await this.#failed(error);
        return;
      }
      await this.#acknowledge(batch, response.data.items);
      this.failures = 0;
      this.reachable = true;
      this.lastSync = new Date();
      await this.changed();
    }
    await pruneSent(KEEP_SENT);
  }

  async #acknowledge(batch, items) {
    const now = new Date().toISOString();
    const updated = [];
    for (const item of items) {
      const record = batch[item.index];
      if (item.status === 201 || item.status === 200) {
        updated.push({ ...record, state: "sent", sent: now, result: item.result, errors: null });
      } else if (item.status === 422) {
        updated.push({ ...record, state: "rejected", errors: item.errors });
      }
    }
    await putScans(updated);
  }

  async #failed(error) {
    if (error.revoked) {
      this.reachable = true;
      this.onRevoked(error.message);
    } else if (error.retryable) {
      this.reachable = error.status === 0 ? false : true;
      const wait = error.retryAfter ? error.retryAfter * 1000 : BACKOFF_MS[Math.min(this.failures, BACKOFF_MS.length - 1)];
      this.failures += 1;
      this.retryAt = Date.now() + wait;
    } else {
      // 400/413 for the whole batch: a client bug, not a visitor's data. Retry slowly, keep everything.
      this.failures += 1;
      this.retryAt = Date.now() + BACKOFF_MS[BACKOFF_MS.length - 1];
    }
    await this.changed();
  }
}

// Oldest first, up to the server's item and size limits.
function pack(records) {
  records.sort((a, b) => a.created.localeCompare(b.created));
  const batch = [];
  let bytes = 0;
  for (const record of records) {
    const size = JSON.stringify(record.scan).length + 1;
    if (batch.length && bytes + size > MAX_BYTES) break;
    batch.push(record);
    bytes += size;
  }
  return batch;
}
