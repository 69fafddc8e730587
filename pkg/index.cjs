"use strict";
// aqcast from CommonJS (see require.cjs).
module.exports = require("./require.cjs")(() => require("./aqcast.js"), "aqcast");
