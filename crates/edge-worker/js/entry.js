import { WorkerEntrypoint } from "cloudflare:workers";
import module from "./index_bg.wasm";
import * as aqcast from "./index.js";

aqcast.initSync({ module });

export default class extends WorkerEntrypoint {
  fetch(request) {
    return aqcast.fetch(request, this.env, this.ctx);
  }
}

// The Durable Object that keeps each caller's rate-limit bucket.
export { RateLimiter } from "./index.js";
