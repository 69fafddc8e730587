// A local server that speaks the OpenAQ API v3 (the part `aqcast fetch openaq` reads:
// /v3/locations?bbox=…, /v3/locations/{id}, /v3/sensors/{id}/hours?datetime_from=…,
// `limit`/`page` paging, the X-API-Key header) and replays the shipped UK AURN roadside
// series (tests/fixtures/data/aurn_no2_2001_2003.csv.gz: NO2, temperature, wind) as if
// it were being measured now.
//
// The series is moved forward by whole weeks (weekdays and hours stay as measured) so that
// its hours land in the present. At the start, the hours up to `--hours` hours before the
// latest complete hour are published; then one more hour is released every `--every`
// seconds until the latest complete hour is reached, and from then on each hour once it
// is over, as a live feed does. So `--hours 24
// --every 5` catches up in two minutes and then stays current.
//
// Usage: node scripts/replay.mjs [--port P] [--hours N] [--every S] [--key K]
//        (prints its base URL; --key makes it answer 401 to requests without that key)
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name, d) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : d;
};
const port = Number(arg("--port", 0));
const hours = Number(arg("--hours", 24));
const every = Number(arg("--every", 5));
const key = arg("--key", null);

// The series: [unix seconds, {no2, temperature, wind_speed, wind_direction}].
const text = gunzipSync(readFileSync(path.join(root, "tests/fixtures/data/aurn_no2_2001_2003.csv.gz"))).toString();
const lines = text.trim().split("\n");
const head = lines[0].split(",");
const col = (n) => head.indexOf(n);
const rows = lines.slice(1).map((l) => {
  const c = l.split(",");
  const num = (i) => (c[i] === "" || c[i] === undefined ? null : Number(c[i]));
  return [Date.parse(c[0].replace(" ", "T") + "Z") / 1000, num(col("no2")), num(col("air_temp")), num(col("ws")), num(col("wd"))];
});
/** The start of the latest complete hour: an hourly mean exists once its hour is over. */
const hourNow = () => Math.floor(Date.now() / 3.6e6) * 3600 - 3600;
const started = Date.now() / 1000;
const startHour = hourNow();
// Whole weeks forward, so that the series runs 30 days past the present.
const week = 7 * 86400;
const shift = Math.ceil((startHour + 30 * 86400 - rows[rows.length - 1][0]) / week) * week;
/** The start of the latest hour published at this moment. */
const latest = () => Math.min(hourNow(), startHour - hours * 3600 + Math.floor((Date.now() / 1000 - started) / every) * 3600);

const LOCATION_ID = 2001;
const SENSORS = [
  { id: 200101, column: 1, name: "no2", units: "µg/m³", displayName: "NO₂ mass" },
  { id: 200102, column: 2, name: "temperature", units: "c", displayName: "Temperature" },
  { id: 200103, column: 3, name: "wind_speed", units: "m/s", displayName: "Wind speed" },
  { id: 200104, column: 4, name: "wind_direction", units: "deg", displayName: "Wind direction" },
];
const location = {
  id: LOCATION_ID,
  name: "AURN roadside (replay)",
  locality: "United Kingdom",
  timezone: "Europe/London",
  country: { id: 79, code: "GB", name: "United Kingdom" },
  owner: { id: 4, name: "Unknown Governmental Organization" },
  provider: { id: 1, name: "UK-AIR replay" },
  isMobile: false,
  isMonitor: true,
  instruments: [{ id: 2, name: "Government Monitor" }],
  sensors: SENSORS.map((s) => ({ id: s.id, name: `${s.name} ${s.units}`, parameter: { id: s.id % 100, name: s.name, units: s.units, displayName: s.displayName } })),
  coordinates: { latitude: 51.5225, longitude: -0.1546 },
  licenses: [{ id: 2, name: "Open Government Licence v3.0", attribution: { name: "Defra (UK-AIR), replayed by aqcast", url: "https://uk-air.defra.gov.uk" }, dateFrom: "2000-01-01", dateTo: null }],
  bounds: [-0.1546, 51.5225, -0.1546, 51.5225],
  distance: null,
  datetimeFirst: { utc: iso(rows[0][0] + shift), local: iso(rows[0][0] + shift) },
  datetimeLast: null,
};

function iso(t) {
  return new Date(t * 1000).toISOString().replace(".000Z", "Z");
}

function answer(res, status, body, headers = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

const meta = (page, limit, found) => ({ name: "openaq-api", website: "/", page, limit, found });

const server = createServer((req, res) => {
  const url = new URL(req.url, "http://replay");
  if (key && req.headers["x-api-key"] !== key) return answer(res, 401, { detail: "Unauthorized: a valid X-API-Key is needed" });
  const limit = Math.min(1000, Number(url.searchParams.get("limit") ?? 100));
  const page = Math.max(1, Number(url.searchParams.get("page") ?? 1));
  const parts = url.pathname.split("/").filter(Boolean);
  const last = latest();
  const loc = { ...location, datetimeLast: { utc: iso(last), local: iso(last) } };
  if (parts[0] !== "v3") return answer(res, 404, { detail: "Not Found" });
  if (parts[1] === "locations" && parts.length === 2) {
    const results = page === 1 ? [loc] : [];
    return answer(res, 200, { meta: meta(page, limit, results.length), results });
  }
  if (parts[1] === "locations" && parts.length === 3) {
    if (Number(parts[2]) !== LOCATION_ID) return answer(res, 404, { detail: "Location not found" });
    return answer(res, 200, { meta: meta(1, 100, 1), results: [loc] });
  }
  if (parts[1] === "sensors" && parts[3] === "hours" && parts.length === 4) {
    const s = SENSORS.find((x) => String(x.id) === parts[2]);
    if (!s) return answer(res, 404, { detail: "Sensor not found" });
    // Exclusive on the hour's end, as the API filters.
    const from = url.searchParams.has("datetime_from") ? Date.parse(url.searchParams.get("datetime_from")) / 1000 : -Infinity;
    const all = [];
    for (const r of rows) {
      const t = r[0] + shift;
      if (t > last) break;
      if (t + 3600 > from && r[s.column] !== null) all.push([t, r[s.column]]);
    }
    const results = all.slice((page - 1) * limit, page * limit).map(([t, v]) => ({
      value: v,
      flagInfo: { hasFlags: false },
      parameter: { id: s.id % 100, name: s.name, units: s.units, displayName: s.displayName },
      period: { label: "1hour", interval: "01:00:00", datetimeFrom: { utc: iso(t), local: iso(t) }, datetimeTo: { utc: iso(t + 3600), local: iso(t + 3600) } },
      coordinates: null,
      summary: null,
      coverage: null,
    }));
    return answer(res, 200, { meta: meta(page, limit, results.length), results });
  }
  return answer(res, 404, { detail: "Not Found" });
});

server.listen(port, "127.0.0.1", () => {
  const base = `http://127.0.0.1:${server.address().port}/v3/`;
  console.log(`replay: OpenAQ v3 at ${base} (location ${LOCATION_ID}); latest hour published ${iso(latest())}, one more every ${every} s until ${iso(startHour)}, then hourly (started=${started})`);
  setInterval(() => console.log(`replay: latest hour published ${iso(latest())}`), every * 1000).unref();
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => server.close(() => process.exit(0)));
