// Serves the built dashboard (web/dist) and what the trainer published (a store folder:
// stations.json, stations/, registry/, models/) under /data/, on 127.0.0.1 — a plain
// static host, as any CDN or bucket would be. Gzip where the browser accepts it; models
// are content addressed, so they are cached for good; everything else is revalidated.
//
//   node web/serve.mjs [--port P] [--store DIR] [--dist DIR]
//
// The tests and the benchmark import `serve` from here.
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { createHash } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".webmanifest": "application/manifest+json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".wasm": "application/wasm",
  ".aqm": "application/octet-stream",
};
const COMPRESS = new Set([".html", ".js", ".mjs", ".css", ".json", ".webmanifest", ".svg", ".wasm", ".aqm"]);
// What of a store is published (the rest of it, such as data/ and manifest.json, is not).
const PUBLISHED = /^(stations\.json|basemap\.json|stations\/.+|registry\/.+\.json|models\/.+)$/;

/** Resolves `rel` inside `root`, or null when it would leave it. */
function inside(root, rel) {
  const p = path.resolve(root, "." + path.posix.normalize("/" + rel));
  return p === root || p.startsWith(root + path.sep) ? p : null;
}

/**
 * Starts the server; resolves to { url, port, close() }.
 * @param {{ dist: string, store?: string, port?: number, host?: string, log?: boolean }} o
 */
export function serve({ dist, store, port = 0, host = "127.0.0.1", log = false }) {
  // Each file is compressed once per content (gzip -9 of a 1 MB model takes a while), as
  // a static host precompresses.
  const compressed = new Map();
  const distRoot = path.resolve(dist);
  const storeRoot = store ? path.resolve(store) : null;
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, "http://x");
    let rel;
    try {
      rel = decodeURIComponent(url.pathname);
    } catch {
      res.writeHead(400).end("bad path");
      return;
    }
    let file = null;
    let immutable = false;
    if (rel.startsWith("/data/")) {
      const key = rel.slice("/data/".length);
      if (storeRoot && PUBLISHED.test(key)) file = inside(storeRoot, key);
      immutable = key.startsWith("models/");
    } else {
      file = inside(distRoot, rel.endsWith("/") ? rel + "index.html" : rel);
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    let body;
    try {
      if (!file || !(await stat(file)).isFile()) throw new Error("not a file");
      body = await readFile(file);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      if (log) console.log(`404 ${rel}`);
      return;
    }
    const ext = path.extname(file);
    const etag = `"${createHash("sha256").update(body).digest("hex").slice(0, 20)}"`;
    const headers = {
      "content-type": TYPES[ext] ?? "application/octet-stream",
      "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
      etag,
      vary: "accept-encoding",
    };
    if (req.headers["if-none-match"] === etag) {
      res.writeHead(304, headers).end();
      return;
    }
    if (COMPRESS.has(ext) && /\bgzip\b/.test(req.headers["accept-encoding"] ?? "")) {
      const key = `${file}\0${etag}`;
      if (!compressed.has(key)) compressed.set(key, gzipSync(body, { level: 9 }));
      body = compressed.get(key);
      headers["content-encoding"] = "gzip";
    }
    headers["content-length"] = body.length;
    res.writeHead(200, headers);
    res.end(req.method === "HEAD" ? undefined : body);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const p = server.address().port;
      resolve({ url: `http://${host}:${p}/`, port: p, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name, fallback) => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
  };
  const here = path.dirname(fileURLToPath(import.meta.url));
  const s = await serve({
    dist: opt("--dist", path.join(here, "dist")),
    store: opt("--store", path.join(here, "../aqcast-store")),
    port: Number(opt("--port", "8080")),
  });
  console.log(`aqcast dashboard: ${s.url}`);
}
