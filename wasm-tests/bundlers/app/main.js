// A small app on the npm package, as a developer writes it: the three modules started at
// once, a LightGBM model imported, predicted and explained, the AQI, a 72-hour forecast.
// It writes what it computed into the page for the test to compare with Node's numbers.
import init, { Model, aqi } from "aqcast";
import initImport from "aqcast/import";
import initPipeline from "aqcast/pipeline";

await Promise.all([init(), initImport(), initPipeline()]);
const text = new Uint8Array(await (await fetch("./model.txt")).arrayBuffer());
const model = Model.fromBytes(text);
const row = new Float64Array([7, 2, 3, 4.1, -2.0, 1.5, 6.5, 41, 38, 35, 30, 44, 39, 37.5, 20]);
const why = model.explain(row);
const forecaster = Model.fromBytes(new Uint8Array(await (await fetch("./forecast.aqm")).arrayBuffer()));
const observations = await (await fetch("./observations.json")).json();
document.body.dataset.result = JSON.stringify({
  predict: model.predict(row),
  explain: Array.from(why),
  aqi: aqi.compute("pm2.5", 35.9).aqi,
  forecast: forecaster.forecast(observations),
});
