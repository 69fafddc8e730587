// What the app does once the modules are started (both entries share it): a LightGBM
// model imported, predicted and explained, the AQI, a 72-hour forecast, written into the
// page for the test to compare with Node's numbers.
import { Model, aqi } from "aqcast";

export async function use() {
  const text = new Uint8Array(await (await fetch("./model.txt")).arrayBuffer());
  const model = Model.fromBytes(text);
  const row = new Float64Array([7, 2, 3, 4.1, -2.0, 1.5, 6.5, 41, 38, 35, 30, 44, 39, 37.5, 20]);
  const forecaster = Model.fromBytes(new Uint8Array(await (await fetch("./forecast.aqm")).arrayBuffer()));
  const observations = await (await fetch("./observations.json")).json();
  document.body.dataset.result = JSON.stringify({
    predict: model.predict(row),
    explain: Array.from(model.explain(row)),
    aqi: aqi.compute("pm2.5", 35.9).aqi,
    forecast: forecaster.forecast(observations),
  });
}
