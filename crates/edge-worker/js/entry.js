import { WorkerEntrypoint } from "cloudflare:workers";
import module from "./index_bg.wasm";
import * as aqcast from "./index.js";

aqcast.initSync({ module });

export default class extends WorkerEntrypoint {
  fetch(request) {
    return aqcast.fetch(request, this.env, this.ctx);
  }

  // The hourly round of bad-air alerts (wrangler.toml's cron trigger).
  scheduled(event) {
    return aqcast.scheduled(event, this.env, this.ctx);
  }
}

// The Durable Objects: each caller's rate-limit bucket, each station's pushed values, and
// the index of the stations that pushed, and the alert subscriptions.
export { RateLimiter, StationInbox, PushIndex, AlertBook } from "./index.js";
