"use strict";
// aqcast/pipeline from CommonJS (see require.cjs).
module.exports = require("./require.cjs")(() => require("./pipeline.js"), "aqcast/pipeline");
