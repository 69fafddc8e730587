// Writes crates/cli/data/borders.txt: the world's coastlines and land borders from Natural
// Earth's 1:50m countries (public domain, naturalearthdata.com), as packaged in TopoJSON by
// the npm package world-atlas 2.0.2 (ISC). `aqcast stations publish` cuts from it the
// basemap of the stations' area (SPEC §10: the dashboard's map). Not run by the build or
// the tests; the file is committed. To remake it:
//
//   mkdir /tmp/wa && cd /tmp/wa && npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
//   node scripts/make-borders.mjs /tmp/wa/package/countries-50m.json
//
// Format: one line per arc (a stretch of coast, or of a border between two countries):
// `c` or `b`, then the points in hundredths of a degree, the first as `lon,lat`, each
// next as its difference from the one before; simplified (Douglas–Peucker) to 0.01°.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const topo = JSON.parse(readFileSync(process.argv[2], "utf8"));
const [sx, sy] = topo.transform.scale;
const [tx, ty] = topo.transform.translate;
const arcs = topo.arcs.map((a) => {
  let x = 0, y = 0;
  return a.map(([dx, dy]) => { x += dx; y += dy; return [x * sx + tx, y * sy + ty]; });
});
const uses = new Array(arcs.length).fill(0);
for (const g of topo.objects.countries.geometries) {
  const rings = g.type === "Polygon" ? g.arcs : g.type === "MultiPolygon" ? g.arcs.flat() : [];
  for (const i of rings.flat()) uses[i < 0 ? ~i : i]++;
}
function simplify(pts, tol) {
  if (pts.length < 3) return pts;
  // A closed ring (an island's coast): simplified as two halves, split at the point
  // farthest from its start.
  const [x0, y0] = pts[0];
  const [xn, yn] = pts[pts.length - 1];
  if (x0 === xn && y0 === yn) {
    let at = 1;
    pts.forEach(([x, y], i) => { if (Math.hypot(x - x0, y - y0) > Math.hypot(pts[at][0] - x0, pts[at][1] - y0)) at = i; });
    if (at === 0 || at === pts.length - 1) return [pts[0]];
    return [...simplify(pts.slice(0, at + 1), tol).slice(0, -1), ...simplify(pts.slice(at), tol)];
  }
  const keep = new Uint8Array(pts.length);
  keep[0] = keep[pts.length - 1] = 1;
  const stack = [[0, pts.length - 1]];
  while (stack.length) {
    const [a, b] = stack.pop();
    const [x1, y1] = pts[a], [x2, y2] = pts[b];
    const len = Math.hypot(x2 - x1, y2 - y1) || 1e-12;
    let far = -1, at = -1;
    for (let i = a + 1; i < b; i++) {
      const d = Math.abs((x2 - x1) * (y1 - pts[i][1]) - (x1 - pts[i][0]) * (y2 - y1)) / len;
      if (d > far) { far = d; at = i; }
    }
    if (far > tol) { keep[at] = 1; stack.push([a, at], [at, b]); }
  }
  return pts.filter((_, i) => keep[i]);
}
const lines = [];
let points = 0;
arcs.forEach((a, i) => {
  const q = simplify(a, 0.01).map(([x, y]) => [Math.round(x * 100), Math.round(y * 100)]);
  const pts = q.filter((p, j) => j === 0 || p[0] !== q[j - 1][0] || p[1] !== q[j - 1][1]);
  if (pts.length < 2) return;
  points += pts.length;
  const out = [`${pts[0][0]},${pts[0][1]}`];
  for (let j = 1; j < pts.length; j++) out.push(`${pts[j][0] - pts[j - 1][0]},${pts[j][1] - pts[j - 1][1]}`);
  lines.push(`${uses[i] >= 2 ? "b" : "c"} ${out.join(" ")}`);
});
const file = path.join(path.dirname(fileURLToPath(import.meta.url)), "../crates/cli/data/borders.txt");
writeFileSync(file, "# Natural Earth 1:50m countries (public domain), via world-atlas 2.0.2: c = coast, b = border; hundredths of a degree, deltas after the first point\n" + lines.join("\n") + "\n");
console.log(`${lines.length} arcs, ${points} points to ${file}`);
