// IndexedDB: the outbox of scans (each under its client-made UUID), and small key/values
// (pairing, kiosk configuration, roster, PIN verifiers). Survives reloads and browser restarts.
const DB_NAME = "leadcapture-kiosk";
let dbPromise;

function open() {
  dbPromise ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      const db = request.result;
      const scans = db.createObjectStore("scans", { keyPath: "client_id" });
      // [slug, state]: each event's queue, so a tablet re-paired to another event keeps both apart.
      scans.createIndex("queue", ["slug", "state"]);
      scans.createIndex("created", "created");
      db.createObjectStore("meta");
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return dbPromise;
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = tx.onabort = () => reject(tx.error);
  });
}

function result(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export async function getMeta(key) {
  const db = await open();
  return result(db.transaction("meta").objectStore("meta").get(key));
}

export async function setMeta(key, value) {
  const db = await open();
  const tx = db.transaction("meta", "readwrite");
  tx.objectStore("meta").put(value, key);
  return done(tx);
}

export async function putScans(records) {
  const db = await open();
  const tx = db.transaction("scans", "readwrite");
  const store = tx.objectStore("scans");
  for (const record of records) store.put(record);
  return done(tx);
}

export async function deleteScan(clientId) {
  const db = await open();
  const tx = db.transaction("scans", "readwrite");
  tx.objectStore("scans").delete(clientId);
  return done(tx);
}

export async function scansInState(slug, state, limit) {
  const db = await open();
  const index = db.transaction("scans").objectStore("scans").index("queue");
  return result(index.getAll(IDBKeyRange.only([slug, state]), limit));
}

export async function countInState(slug, state) {
  const db = await open();
  return result(db.transaction("scans").objectStore("scans").index("queue").count(IDBKeyRange.only([slug, state])));
}

// Newest first, for the recent list and the "met before" hint.
export async function recentScans(limit) {
  const db = await open();
  const index = db.transaction("scans").objectStore("scans").index("created");
  const found = [];
  return new Promise((resolve, reject) => {
    const cursor = index.openCursor(null, "prev");
    cursor.onsuccess = () => {
      const c = cursor.result;
      if (!c || found.length >= limit) return resolve(found);
      found.push(c.value);
      c.continue();
    };
    cursor.onerror = () => reject(cursor.error);
  });
}

// Sent scans are kept for the recent list; only the newest `keep` of them.
export async function pruneSent(keep) {
  const db = await open();
  const tx = db.transaction("scans", "readwrite");
  const index = tx.objectStore("scans").index("created");
  let seen = 0;
  index.openCursor(null, "prev").onsuccess = (event) => {
    const c = event.target.result;
    if (!c) return;
    if (c.value.state === "sent" && ++seen > keep) c.delete();
    c.continue();
  };
  return done(tx);
}
