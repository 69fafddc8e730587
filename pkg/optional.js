// How an optional module of the package (aqcast/import, aqcast/pipeline) loads: its
// generated init, then its functions registered with the runtime ("aqcast"), which calls
// them from then on. This file is a source, shared by import.js and pipeline.js.
import { __registerModule } from "./aqcast.js";

/** The async and sync initialisers of an optional module whose functions are `hooks`. */
export function optionalModule(initModule, initModuleSync, hooks) {
  return {
    async init(moduleOrPath) {
      const out = await initModule(moduleOrPath);
      __registerModule(hooks);
      return out;
    },
    initSync(module) {
      const out = initModuleSync(module);
      __registerModule(hooks);
      return out;
    },
  };
}
