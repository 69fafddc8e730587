// aqcast's service worker: the app works offline after the first visit, and shows the
// edge worker's bad-air alerts.
// - The app (page, script, wasm, styles, icons) is cached at install: cache first.
// - Published data (stations.json, snapshots, forecasts, registries) go to the network first; the
//   last good answer is kept, and served when the network fails, marked with the time it
//   was saved (the x-aqcast-saved header) so the page can say how old it is.
// - Model files are content-addressed (models/<name>/<sha256>/): cache first, forever.
const VERSION = "__BUILD__";
const APP = `aqcast-app-${VERSION}`;
const DATA = "aqcast-data";
const SHELL = ["./", "index.html", "style.css", "manifest.webmanifest", "icon.svg",
  "icon-192.png", "icon-512.png", "pkg/aqcast_web.js", "pkg/aqcast_web_bg.wasm"];

self.addEventListener("install", (e) => {
  e.waitUntil(caches.open(APP).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (e) => {
  e.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("aqcast-app-") && k !== APP).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

async function saved(response) {
  const headers = new Headers(response.headers);
  headers.set("x-aqcast-saved", String(Date.now()));
  return new Response(await response.clone().blob(), { status: response.status, statusText: response.statusText, headers });
}

async function networkFirst(request) {
  const cache = await caches.open(DATA);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, await saved(response));
    return response;
  } catch (err) {
    const hit = await cache.match(request);
    if (hit) return hit;
    throw err;
  }
}

async function cacheFirst(request, name) {
  const cache = await caches.open(name);
  const hit = await cache.match(request, { ignoreSearch: name === APP });
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

// The page names what it loaded before this worker controlled it; keep the data among it.
self.addEventListener("message", (e) => {
  const urls = (e.data && e.data.keep) || [];
  e.waitUntil(caches.open(DATA).then((cache) => Promise.all(urls
    .filter((u) => isData(new URL(u).pathname))
    .map(async (u) => {
      if (await cache.match(u)) return;
      try {
        const response = await fetch(u);
        if (response.ok) await cache.put(u, await saved(response));
      } catch { /* kept next time */ }
    }))));
});

const isModel = (p) => /\/models\/[^/]+\/[0-9a-f]{64}\//.test(p);
const isData = (p) => isModel(p) || /(stations\.json|basemap\.json|\/stations\/|\/registry\/|\/files\/|\/v1\/forecast\/)/.test(p);

self.addEventListener("fetch", (e) => {
  const req = e.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (isModel(url.pathname)) {
    e.respondWith(cacheFirst(req, DATA));
  } else if (isData(url.pathname)) {
    e.respondWith(networkFirst(req));
  } else if (url.origin === self.location.origin) {
    // The page itself: network first so a new build shows, the cached app offline.
    e.respondWith(req.mode === "navigate"
      ? fetch(req).catch(() => caches.match("index.html"))
      : cacheFirst(req, APP));
  }
});

// A bad-air alert from the edge worker (src/alerts.rs there): {kind: "starts" | "clears",
// title, body, station, category, threshold, from, url}. One notification per station (a
// newer one replaces it).
self.addEventListener("push", (e) => {
  let note = {};
  try {
    note = e.data ? e.data.json() : {};
  } catch { /* not ours: shown plainly */ }
  const title = typeof note.title === "string" ? note.title : "Air quality alert";
  e.waitUntil(self.registration.showNotification(title, {
    body: typeof note.body === "string" ? note.body : "",
    tag: `aqcast-${note.station ?? ""}`,
    icon: "icon-192.png",
    data: { url: typeof note.url === "string" ? note.url : "./" },
  }));
});

// Opens the station the alert is about, in the app's window when one is open.
self.addEventListener("notificationclick", (e) => {
  e.notification.close();
  const url = new URL(e.notification.data?.url ?? "./", self.registration.scope);
  if (url.origin !== self.location.origin) return;
  e.waitUntil(self.clients.matchAll({ type: "window" }).then((windows) => {
    const open = windows.find((w) => w.url.startsWith(self.registration.scope));
    if (open) return open.navigate(url.href).then((w) => (w ?? open).focus());
    return self.clients.openWindow(url.href);
  }));
});
