// What the dashboard's test and benchmark share: a store filled by the real pipeline
// (`aqcast pipeline run`: the AURN NO2 72-hour model and the German PM10 model on five
// stations, both made small), the built app (web/dist, from scripts/build-web) served with
// it by web/serve.mjs on a free port of 127.0.0.1, and headless Chromium.
import { mkdirSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, "../..");
export const aqcastBin = process.env.AQCAST_BIN ?? path.join(root, "target/debug/aqcast");
export const dist = path.join(root, "web/dist");
export const aqcast = (...args) =>
  execFileSync(aqcastBin, args, { stdio: ["ignore", "pipe", "pipe"] }).toString();

const small = (file, replacements) => {
  let text = readFileSync(path.join(root, "configs", file), "utf8");
  for (const [from, to] of replacements) {
    if (!text.includes(from)) throw new Error(`${file} has no ${from}`);
    text = text.replace(from, to);
  }
  return text;
};

/** Runs the pipeline into `dir/store` (published models, stations and snapshots). */
export function publishStore(dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const data = (f) => JSON.stringify(path.join(root, "tests/fixtures/data", f));
  writeFileSync(path.join(dir, "forecast.toml"), small("forecast.toml", [
    ["trees = 300", "trees = 25"], ["learning_rate = 0.05", "learning_rate = 0.2"],
    ["stride = 6 ", "stride = 24 "], ["dense_steps = 6", "dense_steps = 1"],
  ]));
  writeFileSync(path.join(dir, "forecast_de.toml"), small("forecast_de.toml", [
    ['sites = ["*"]', 'sites = ["DEBY047", "DENI063", "DEMV017", "DETH026", "DEBB075"]'],
    ['stations = "../tests/fixtures/data/airbase_pm10_de_stations.csv"', `stations = ${data("airbase_pm10_de_stations.csv")}`],
    ["trees = 300", "trees = 25"], ["learning_rate = 0.05", "learning_rate = 0.2"],
  ]));
  writeFileSync(path.join(dir, "pipeline.toml"), `
[store]
location = "store"
work = "work"

[[ingest]]
files = [${data("aurn_no2_2001_2003.csv.gz")}]

[[ingest]]
files = [${data("airbase_pm10_de_1998_2009.csv.gz")}]
map = ["site=code", "time=date", "pm10=pm10:ug/m3"]

[[models]]
name = "no2-72h"
task = "forecast.toml"

[[models]]
name = "pm10-de"
task = "forecast_de.toml"

[promote]
metric = "skill"
margin = -10.0

[stations]
file = ${data("airbase_pm10_de_stations.csv")}
`);
  aqcast("pipeline", "run", "--config", path.join(dir, "pipeline.toml"));
  return path.join(dir, "store");
}

const chromiumOptions = {
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
};

/** Headless Chromium (Debian's), as the npm package's page tests use it. */
export const launch = () => chromium.launch(chromiumOptions);

/** Headless Chromium with a profile on disk (not incognito: what installing needs). */
export const launchProfile = (dir) => chromium.launchPersistentContext(dir, chromiumOptions);

/** Waits until the page shows a station (ready, with its why and history) or an error;
 * returns its state. */
export async function settled(page, timeout = 30_000) {
  await page.waitForSelector('main[data-state="ready"], main[data-state="error"], .picker .error', { timeout });
  // And, once a station is shown, its why and history (they load the model after it).
  await page.waitForFunction(() => !document.querySelector('main[data-state="ready"] #why[data-state="loading"]'), null, { timeout });
  return page.$eval("main", (m) => ({ state: m.dataset.state, station: m.dataset.station }));
}
