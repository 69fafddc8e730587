// `require("aqcast")`, `require("aqcast/import")`, `require("aqcast/pipeline")`: the
// package is ES modules; Node 20.19+ and 22.12+ load them from `require`, older Node
// cannot, and says so here in words rather than with ERR_REQUIRE_ESM. This file is a
// source (scripts/build-pkg copies nothing over it).
"use strict";

module.exports = function load(load, name) {
  try {
    return load();
  } catch (e) {
    if (e && (e.code === "ERR_REQUIRE_ESM" || e.code === "ERR_REQUIRE_ASYNC_MODULE")) {
      const error = new Error(
        `${name} is an ES module: use \`import\` (or \`await import("${name}")\` from CommonJS); ` +
          `require("${name}") works on Node 20.19+ and 22.12+, this is Node ${process.versions.node}`,
      );
      error.code = "not_commonjs";
      error.cause = e;
      throw error;
    }
    throw e;
  }
};
