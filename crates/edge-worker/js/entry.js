import { WorkerEntrypoint } from "cloudflare:workers";
import module from "./index_bg.wasm";
import * as aqcast from "./index.js";

aqcast.initSync({ module });

export default class extends WorkerEntrypoint {
  fetch(request) {
    return aqcast.fetch(request, this.env, this.ctx);
  }
}

// The Durable Objects: each caller's rate-limit bucket, each station's pushed values, and
// the index of the stations that pushed.
export { RateLimiter, StationInbox, PushIndex } from "./index.js";
