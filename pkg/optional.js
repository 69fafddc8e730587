// How an optional module of the package (aqcast/import, aqcast/pipeline) loads: its
// generated init, then its functions put in the page's registry of modules
// (globalThis[Symbol.for("aqcast.modules")]), where the runtime ("aqcast") finds them when
// a call needs them. Registering needs nothing of the runtime, so the modules may be
// started before it, after it or with it (Promise.all). This file is a source, shared by
// import.js and pipeline.js.

const registry = Symbol.for("aqcast.modules");

function register(hooks) {
  Object.assign((globalThis[registry] ??= {}), hooks);
}

// One form of the options, whatever was given: `{ module_or_path }` for init and
// `{ module }` for initSync; bytes, a URL, a Response or a module alone are wrapped (the
// generated functions warn about the positional form).
function asOptions(given, key) {
  if (given === undefined) return undefined;
  const isOptions =
    given !== null && typeof given === "object" && Object.getPrototypeOf(given) === Object.prototype;
  return isOptions ? given : { [key]: given };
}

/** The async and sync initialisers of an optional module whose functions are `hooks`. */
export function optionalModule(initModule, initModuleSync, hooks) {
  return {
    async init(options) {
      const out = await initModule(asOptions(options, "module_or_path"));
      register(hooks);
      return out;
    },
    initSync(options) {
      const out = initModuleSync(asOptions(options, "module"));
      register(hooks);
      return out;
    },
  };
}
