// A Web Push service on 127.0.0.1, as the edge worker's alerts meet one, and a browser's
// side of a subscription: what the tests need to see a push arrive, signed and readable.
// - `startPushService()`: takes POST /push/<n> (201, every request kept) and answers 410
//   on /gone/<n> (a subscription the browser dropped).
// - `browserKeys()`: a browser's P-256 key pair and 16-byte auth secret, and the
//   `PushSubscription.toJSON()` it would give for an endpoint.
// - `decrypt()`: a message as the browser reads it (RFC 8291 over RFC 8188's aes128gcm),
//   with node's own crypto, independent of the worker's code.
// - `checkVapid()`: the request's VAPID authorization (RFC 8292) verified with node's
//   ES256 against the key the worker publishes.
import http from "node:http";
import { createDecipheriv, createECDH, createHmac, createPublicKey, randomBytes, verify } from "node:crypto";

export async function startPushService() {
  const received = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      received.push({ path: req.url, method: req.method, headers: req.headers, body: Buffer.concat(chunks), at: performance.now() });
      res.statusCode = req.url.startsWith("/gone/") ? 410 : 201;
      res.end();
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return { origin, received, stop: () => new Promise((r) => server.close(r)) };
}

export function browserKeys() {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  const auth = randomBytes(16);
  return {
    ecdh,
    auth,
    subscription: (endpoint) => ({
      endpoint,
      expirationTime: null,
      keys: { p256dh: ecdh.getPublicKey().toString("base64url"), auth: auth.toString("base64url") },
    }),
  };
}

const hmac = (key, ...parts) => {
  const h = createHmac("sha256", key);
  for (const p of parts) h.update(p);
  return h.digest();
};

/** The plaintext of an aes128gcm push body for the browser holding `keys`. */
export function decrypt(body, { ecdh, auth }) {
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body[20];
  const asPublic = body.subarray(21, 21 + idlen);
  const record = body.subarray(21 + idlen);
  if (record.length > rs) throw new Error(`one record expected, ${record.length} bytes > rs ${rs}`);
  const shared = ecdh.computeSecret(asPublic);
  const uaPublic = ecdh.getPublicKey();
  const ikm = hmac(hmac(auth, shared), Buffer.from("WebPush: info\0"), uaPublic, asPublic, Buffer.from([1]));
  const prk = hmac(salt, ikm);
  const cek = hmac(prk, Buffer.from("Content-Encoding: aes128gcm\0"), Buffer.from([1])).subarray(0, 16);
  const nonce = hmac(prk, Buffer.from("Content-Encoding: nonce\0"), Buffer.from([1])).subarray(0, 12);
  const d = createDecipheriv("aes-128-gcm", cek, nonce);
  d.setAuthTag(record.subarray(record.length - 16));
  const padded = Buffer.concat([d.update(record.subarray(0, record.length - 16)), d.final()]);
  // The last record ends with the delimiter 2, then zero padding.
  const end = padded.lastIndexOf(2);
  if (end < 0 || padded.subarray(end + 1).some((b) => b !== 0)) throw new Error("no last-record delimiter");
  return padded.subarray(0, end).toString("utf8");
}

/** The VAPID claims of a push request, once its signature holds for `publicKey`
 * (base64url, 65 bytes) and `k=` names that key. */
export function checkVapid(authorization, publicKey) {
  const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(authorization ?? "");
  if (!m) throw new Error(`not a VAPID authorization: ${authorization}`);
  const [, token, k] = m;
  if (k !== publicKey) throw new Error("k= is not the worker's published key");
  const [h, p, s] = token.split(".");
  const raw = Buffer.from(publicKey, "base64url");
  const key = createPublicKey({
    key: { kty: "EC", crv: "P-256", x: raw.subarray(1, 33).toString("base64url"), y: raw.subarray(33, 65).toString("base64url") },
    format: "jwk",
  });
  if (!verify("sha256", Buffer.from(`${h}.${p}`), { key, dsaEncoding: "ieee-p1363" }, Buffer.from(s, "base64url")))
    throw new Error("the VAPID signature does not hold");
  const header = JSON.parse(Buffer.from(h, "base64url"));
  if (header.alg !== "ES256") throw new Error(`alg ${header.alg}`);
  return JSON.parse(Buffer.from(p, "base64url"));
}
