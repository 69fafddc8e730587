// Prints the `wrangler r2 bulk put` list ([{ key, file }]) of what a local store published:
// registry/, models/, stations.json, basemap.json, stations/. Usage: node scripts/r2-pairs.mjs STORE
import { readdirSync, statSync } from "node:fs";
import path from "node:path";

const root = path.resolve(process.argv[2] ?? "aqcast-store");
const out = [];
const walk = (rel) => {
  const abs = path.join(root, rel);
  if (statSync(abs).isDirectory()) {
    for (const e of readdirSync(abs).sort()) walk(rel ? `${rel}/${e}` : e);
  } else {
    out.push({ key: rel, file: abs });
  }
};
for (const top of ["registry", "models", "stations", "stations.json", "basemap.json"]) {
  try {
    statSync(path.join(root, top));
  } catch {
    continue;
  }
  walk(top);
}
process.stdout.write(JSON.stringify(out));
