// The kiosk's service worker: the app shell comes from a versioned cache, so /kiosk opens
// with no network. The API is never cached: scans wait in IndexedDB (js/outbox.js), not here.
const VERSION = {{ version|tojson }};
const CACHE = `kiosk-${VERSION}`;
const SHELL = {{ shell|tojson }};
const SHELL_PAGE = SHELL[0];

self.addEventListener("install", (event) => {
  // cache: "reload" skips the HTTP cache, so a new version never caches an old file.
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: "reload" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("kiosk-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && (url.pathname === SHELL_PAGE || url.pathname === `${SHELL_PAGE}/`)) {
    event.respondWith(caches.match(SHELL_PAGE).then((hit) => hit || fetch(request)));
  } else if (SHELL.includes(url.pathname) || url.pathname.startsWith(`${SHELL_PAGE}/static/vendor/`)) {
    event.respondWith(cacheFirst(request));
  }
  // Everything else (the API above all) goes to the network untouched.
});

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request, { ignoreSearch: true });
  if (hit) return hit;
  const response = await fetch(request);
  // The barcode decoder is fetched lazily; keep it so the camera works offline afterwards.
  if (response.ok) await cache.put(request, response.clone());
  return response;
}
