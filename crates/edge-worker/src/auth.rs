//! API keys: the worker holds only their SHA-256 hashes (the `API_KEYS` secret: a JSON
//! list of `{"id", "sha256", "scopes"}`, and for a key with the `ingest` scope the
//! `stations` it may push values for), compares a presented key's hash with every one of
//! them in constant time, and grants the scopes of the one that matches.

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::api::ApiError;

/// What a key may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Read models, stations, forecasts.
    Read,
    /// Predict and explain.
    Predict,
    /// Promote models.
    Admin,
    /// Push observations for the key's stations.
    Ingest,
}

impl Scope {
    fn name(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Predict => "predict",
            Scope::Admin => "admin",
            Scope::Ingest => "ingest",
        }
    }
}

/// One configured key (a misspelt field is an error, not a key that silently lacks it).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Key {
    /// A name for logs and metrics (never the key).
    pub id: String,
    /// SHA-256 of the key, lower-case hex.
    pub sha256: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Its own rate limit (requests a minute, a minute's worth in the bucket), instead of
    /// the worker's `RATE_LIMIT_PER_MINUTE`.
    #[serde(default)]
    pub per_minute: Option<f64>,
    /// The stations an `ingest` key may push values for (`"*"`: every station).
    #[serde(default)]
    pub stations: Vec<String>,
}

/// Who is calling.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The key's id, or `anonymous`.
    pub id: String,
    scopes: Vec<String>,
    /// The caller's own rate limit, if its key has one.
    pub per_minute: Option<f64>,
    /// The stations it may push values for.
    stations: Vec<String>,
}

impl Caller {
    /// A caller with these scopes (a verified JWT's) and stations (its `stations` claim).
    pub fn new(id: String, scopes: Vec<String>, stations: Vec<String>) -> Caller {
        Caller {
            id,
            scopes,
            per_minute: None,
            stations,
        }
    }

    /// The caller without a key (public endpoints only).
    pub fn anonymous() -> Caller {
        Caller::new("anonymous".into(), Vec::new(), Vec::new())
    }

    /// Whether the caller may push values for `station`: an `admin`, or a key bound to
    /// it (or to `*`).
    pub fn may_write(&self, station: &str) -> bool {
        self.scopes.iter().any(|s| s == "admin")
            || self.stations.iter().any(|s| s == "*" || s == station)
    }

    /// Fails with 403 unless the caller has `scope` (`admin` implies every scope).
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self
            .scopes
            .iter()
            .any(|s| s == scope.name() || s == "admin")
        {
            return Ok(());
        }
        if self.id == "anonymous" {
            return Err(ApiError::new(
                401,
                "unauthorized",
                "an API key is required: send it as 'Authorization: Bearer <key>' or 'x-api-key'",
            ));
        }
        Err(ApiError::new(
            403,
            "forbidden",
            format!("this key lacks the '{}' scope", scope.name()),
        ))
    }
}

/// Reads the configured keys.
pub fn parse_keys(json: &str) -> Result<Vec<Key>, String> {
    let keys: Vec<Key> = serde_json::from_str(json).map_err(|e| format!("API_KEYS: {e}"))?;
    for k in &keys {
        if k.sha256.len() != 64 || !k.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("API_KEYS: key {:?} has no SHA-256 hash", k.id));
        }
        if let Some(s) = k
            .scopes
            .iter()
            .find(|s| !["read", "predict", "admin", "ingest"].contains(&s.as_str()))
        {
            return Err(format!(
                "API_KEYS: key {:?} has the unknown scope {s:?} (read, predict, admin, ingest)",
                k.id
            ));
        }
        let ingest = k.scopes.iter().any(|s| s == "ingest");
        if ingest && k.stations.is_empty() {
            return Err(format!(
                "API_KEYS: key {:?} has the ingest scope but no \"stations\" it may push for (ids, or [\"*\"])",
                k.id
            ));
        }
        if !ingest && !k.stations.is_empty() {
            return Err(format!(
                "API_KEYS: key {:?} lists \"stations\" but has no ingest scope to push with",
                k.id
            ));
        }
    }
    Ok(keys)
}

/// The caller a presented key identifies; 401 for a key that matches none.
pub fn authenticate(presented: &str, keys: &[Key]) -> Result<Caller, ApiError> {
    let digest = Sha256::digest(presented.as_bytes());
    let mut found: Option<&Key> = None;
    // Every configured hash is compared, each in constant time, whatever matches.
    for k in keys {
        if constant_time_eq_hex(&digest, &k.sha256) {
            found = Some(k);
        }
    }
    match found {
        Some(k) => Ok(Caller {
            id: k.id.clone(),
            scopes: k.scopes.clone(),
            per_minute: k.per_minute.filter(|r| r.is_finite() && *r > 0.0),
            stations: k.stations.clone(),
        }),
        None => Err(ApiError::new(
            401,
            "unauthorized",
            "the API key is not valid",
        )),
    }
}

/// Compares a digest with a hex hash without branching on their contents.
fn constant_time_eq_hex(digest: &[u8], hex: &str) -> bool {
    let h = hex.as_bytes();
    if h.len() != digest.len() * 2 {
        return false;
    }
    let nibble = |c: u8| -> u8 {
        let lower = c | 0x20;
        let digit = c.wrapping_sub(b'0');
        let letter = lower.wrapping_sub(b'a').wrapping_add(10);
        if digit < 10 {
            digit
        } else {
            letter
        }
    };
    let mut diff = 0u8;
    for (i, &d) in digest.iter().enumerate() {
        let v = (nibble(h[2 * i]) << 4) | (nibble(h[2 * i + 1]) & 0x0f);
        diff |= v ^ d;
    }
    diff == 0
}

/// The key a request presents: `Authorization: Bearer <key>` or `x-api-key: <key>`.
pub fn presented_key(authorization: Option<String>, api_key: Option<String>) -> Option<String> {
    if let Some(a) = authorization {
        let a = a.trim();
        if let Some(k) = a
            .strip_prefix("Bearer ")
            .or_else(|| a.strip_prefix("bearer "))
        {
            return Some(k.trim().to_string());
        }
    }
    api_key
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn keys_match_by_hash_and_grant_their_scopes() {
        let h = hex(&Sha256::digest(b"secret-1"));
        let keys = parse_keys(&format!(
            r#"[{{"id":"ops","sha256":"{h}","scopes":["read","predict"]}}]"#
        ))
        .unwrap();
        let c = authenticate("secret-1", &keys).unwrap();
        assert_eq!(c.id, "ops");
        c.require(Scope::Predict).unwrap();
        assert_eq!(c.require(Scope::Admin).unwrap_err().status, 403);
        assert_eq!(authenticate("secret-2", &keys).unwrap_err().status, 401);
        assert_eq!(
            Caller::anonymous().require(Scope::Read).unwrap_err().status,
            401
        );
        // Upper-case hex hashes work too.
        assert!(constant_time_eq_hex(
            &Sha256::digest(b"secret-1"),
            &h.to_uppercase()
        ));
        assert!(parse_keys(r#"[{"id":"x","sha256":"abc","scopes":[]}]"#).is_err());
    }

    #[test]
    fn an_ingest_key_writes_only_its_stations() {
        let h = hex(&Sha256::digest(b"sensor-key"));
        let keys = parse_keys(&format!(
            r#"[{{"id":"city","sha256":"{h}","scopes":["ingest"],"stations":["A","B"]}}]"#
        ))
        .unwrap();
        let c = authenticate("sensor-key", &keys).unwrap();
        c.require(Scope::Ingest).unwrap();
        assert!(c.may_write("A") && c.may_write("B") && !c.may_write("C"));
        assert_eq!(c.require(Scope::Read).unwrap_err().status, 403);
        let admin = Caller::new("ops".into(), vec!["admin".into()], Vec::new());
        assert!(admin.may_write("C"));
        let all = Caller::new("all".into(), vec!["ingest".into()], vec!["*".into()]);
        assert!(all.may_write("anything"));
        assert!(!Caller::anonymous().may_write("A"));
    }

    #[test]
    fn a_key_that_cannot_mean_what_it_says_is_refused() {
        let h = hex(&Sha256::digest(b"k"));
        for (key, why) in [
            (r#""scopes":["ingest"]"#, "no \"stations\""),
            (r#""scopes":["read"],"stations":["A"]"#, "no ingest scope"),
            (r#""scopes":["injest"],"stations":["A"]"#, "unknown scope"),
            (r#""scopes":["ingest"],"station":["A"]"#, "unknown field"),
        ] {
            let e = parse_keys(&format!(r#"[{{"id":"x","sha256":"{h}",{key}}}]"#)).unwrap_err();
            assert!(e.contains(why), "{e}");
        }
    }
}
