"use strict";
// aqcast/import from CommonJS (see require.cjs).
module.exports = require("./require.cjs")(() => require("./import.js"), "aqcast/import");
