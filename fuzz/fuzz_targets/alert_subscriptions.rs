//! Untrusted bytes as the body of `POST /v1/alerts/subscriptions` (what any browser may
//! send the edge worker to be told of a station's bad-air days): read by the worker's
//! typed body parser, then checked whole by the worker's rules (the endpoint a known
//! push service's, over HTTPS unless an origin is allowed by name; the browser's P-256
//! key a point on the curve; the auth secret 16 bytes; the threshold and the offset in
//! range). Either an error or a subscription; a panic is a crash. A subscription that
//! is taken can be encrypted for: a message is made for it as the hourly round would.
#![no_main]

use aqcast_edge_worker::alerts::{check, Subscribe, DEFAULT_PUSH_SERVICES};
use aqcast_edge_worker::requests::parse;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = parse::<Subscribe>(data, "a subscription") else {
        return;
    };
    let services: Vec<String> = DEFAULT_PUSH_SERVICES
        .split(',')
        .map(String::from)
        .chain(["http://127.0.0.1:8080".to_string()])
        .collect();
    let Ok(sub) = check(body, &services) else {
        return;
    };
    // What is stored is a URL written out as fetch reads it: reading it again changes
    // nothing, and it still belongs to a push service.
    let again = aqcast_edge_worker::alerts::allowed(&sub.endpoint, &services)
        .expect("a stored endpoint is still allowed");
    assert_eq!(again.as_str(), sub.endpoint);
    assert!(again.username().is_empty() && again.password().is_none());
    assert!((1..=6).contains(&sub.from));
    let ua = B64.decode(&sub.p256dh).expect("a taken key is base64url");
    let auth = B64.decode(&sub.auth).expect("a taken secret is base64url");
    let ephemeral = p256::SecretKey::from_slice(&[7u8; 32]).expect("a valid scalar");
    let sealed = aqcast_edge_worker::webpush::encrypt(b"{}", &ua, &auth, &ephemeral, &[1; 16]);
    assert!(sealed.is_ok(), "a taken subscription can be encrypted for");
});
