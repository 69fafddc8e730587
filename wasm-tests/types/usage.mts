// Every export of the npm package, used as a TypeScript user (tsc --strict, module
// nodenext) writes it: this file only has to type-check (wasm-tests/types/check.mjs).
import { readFileSync } from "node:fs";
import init, {
  initSync,
  Model,
  aqi,
  AqcastError,
  type AqiCategory,
  type AqiOptions,
  type EeaAqi,
  type EpaAqi,
  type Forecast,
  type ForecastOptions,
  type ForecastStep,
  type Head,
  type Metadata,
  type Observation,
  type Preprocessed,
  type PreprocessOptions,
  type Row,
} from "aqcast";
import initImport, { initImportSync, importModel } from "aqcast/import";
import initPipeline, { initPipelineSync } from "aqcast/pipeline";

export async function everything(bytes: Uint8Array): Promise<void> {
  await init();
  await initImport();
  await initPipeline();
  initSync({ module: readFileSync("aqcast_bg.wasm") });
  initImportSync({ module: readFileSync("aqcast_import_bg.wasm") });
  initPipelineSync({ module: readFileSync("aqcast_pipeline_bg.wasm") });

  const aqm: Uint8Array = importModel(bytes);
  const model: Model = Model.fromBytes(aqm);
  const names: string[] = model.features;
  const named: boolean = model.namedFeatures;
  const heads: Head[] = model.heads;
  const horizons: (number | null)[] = model.horizons;
  const metadata: Metadata = model.metadata;
  const hasPipeline: boolean = model.hasPipeline;
  const hasForecast: boolean = model.hasForecast;

  const row: Row = new Float64Array(names.length);
  const byName: Row = { hour: 7, ws: null };
  const one: number = model.predict(row) + model.predict(byName, 0);
  const batch: Float64Array = model.predictBatch(new Float32Array(names.length * 2), 2, 0);
  const why: Float64Array = model.explain([1, 2, 3]);

  const observations: Observation[] = [{ variable: "no2", time: "2003-06-01 11:00:00", value: 21.3 }];
  const options: PreprocessOptions = { start: 0, end: "2003-06-01 12:00:00" };
  const pre: Preprocessed = model.preprocess(observations, options);
  const latest: Float64Array = pre.rows.subarray((pre.nRows - 1) * pre.features.length);
  model.preprocess(observations);

  const at: ForecastOptions = { at: 1054468800, station: "DEBY047" };
  const forecast: Forecast = model.forecast(observations, at);
  const first: ForecastStep | undefined = forecast.steps[0];
  const band: number[] = forecast.steps.map((s) => s.p90 - s.p10);
  const category: string | undefined = forecast.categories[first?.category ?? 0]?.name;
  model.forecast(observations);

  // The README's AQI lines: `.aqi` on either scale, options optional.
  const index: number = aqi.compute("pm2.5", 35.9).aqi;
  const opts: AqiOptions = { unit: "ug/m3", scale: "eea" };
  const eea: EpaAqi | EeaAqi = aqi.compute("no2", 95, opts);
  const level: number = eea.aqi;
  if (eea.scale === "eea") {
    const l: number = eea.level;
    void l;
  } else {
    const sensitive: string = eea.sensitiveGroups;
    void sensitive;
  }
  const nowcast: number = aqi.nowcast("pm2.5", [35, 30, 28]);
  const categories: AqiCategory[] = aqi.categories();

  try {
    Model.fromBytes(new Uint8Array([1, 2, 3]));
  } catch (e) {
    if (e instanceof AqcastError) {
      const code: string = e.code;
      const message: string = e.message;
      void code;
      void message;
    }
  }
  void [one, batch, why, latest, band, category, index, level, nowcast, categories, named, heads,
    horizons, metadata, hasPipeline, hasForecast];
}
