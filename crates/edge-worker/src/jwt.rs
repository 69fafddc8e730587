//! Bearer JWTs, as an alternative to API keys: HS256 (the `JWT_HS256_SECRET` secret) or
//! ES256 (the `JWT_ES256_PUBLIC_KEY` secret: a P-256 public JWK). The algorithm is the
//! one the configured key is for — never the token's choice: `alg: none` and an HS256
//! token checked against an ES256 key are refused. `exp` is required; `nbf` and `aud`
//! (against `JWT_AUDIENCE`) are checked when present or configured. Scopes come from
//! `scope` (space-separated, as OAuth) or `scopes` (an array); the caller's id is `sub`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use serde_json::Value;
use sha2::Sha256;

use crate::api::ApiError;
use crate::auth::Caller;

/// The keys tokens are verified with.
#[derive(Default)]
pub struct JwtKeys {
    /// HS256 shared secret.
    pub hs256: Option<Vec<u8>>,
    /// ES256 public key.
    pub es256: Option<VerifyingKey>,
    /// Required audience.
    pub audience: Option<String>,
}

impl JwtKeys {
    /// Whether any key is configured.
    pub fn enabled(&self) -> bool {
        self.hs256.is_some() || self.es256.is_some()
    }
}

/// Reads a P-256 public key from a JWK (`{"kty":"EC","crv":"P-256","x","y"}`).
pub fn es256_key(jwk: &str) -> Result<VerifyingKey, String> {
    let v: Value = serde_json::from_str(jwk).map_err(|e| format!("JWT_ES256_PUBLIC_KEY: {e}"))?;
    if v.get("kty").and_then(Value::as_str) != Some("EC")
        || v.get("crv").and_then(Value::as_str) != Some("P-256")
    {
        return Err("JWT_ES256_PUBLIC_KEY: not a P-256 EC JWK".into());
    }
    let coord = |k: &str| -> Result<Vec<u8>, String> {
        let s = v
            .get(k)
            .and_then(Value::as_str)
            .ok_or(format!("JWT_ES256_PUBLIC_KEY: no {k}"))?;
        let b = URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|e| format!("JWT_ES256_PUBLIC_KEY: {k}: {e}"))?;
        if b.len() != 32 {
            return Err(format!("JWT_ES256_PUBLIC_KEY: {k} is not 32 bytes"));
        }
        Ok(b)
    };
    let mut point = vec![4u8];
    point.extend(coord("x")?);
    point.extend(coord("y")?);
    VerifyingKey::from_sec1_bytes(&point)
        .map_err(|_| "JWT_ES256_PUBLIC_KEY: not a point of P-256".into())
}

/// Whether a bearer credential is a JWT rather than an API key.
pub fn looks_like_jwt(token: &str) -> bool {
    token.starts_with("eyJ") && token.matches('.').count() == 2
}

fn invalid(why: &str) -> ApiError {
    ApiError::new(
        401,
        "invalid_token",
        format!("the token is not accepted: {why}"),
    )
}

/// Verifies a token at time `now` (Unix seconds); returns its caller: `jwt:<sub>`, its
/// scopes (`scope`, space-separated, or `scopes`) and the stations it may push values
/// for (`stations`).
pub fn verify(token: &str, keys: &JwtKeys, now: f64) -> Result<Caller, ApiError> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid("not a JWT"));
    };
    let decode = |x: &str| {
        URL_SAFE_NO_PAD
            .decode(x)
            .map_err(|_| invalid("bad base64url"))
    };
    let header: Value = serde_json::from_slice(&decode(h)?).map_err(|_| invalid("bad header"))?;
    let signature = decode(s)?;
    let signed = &token[..h.len() + 1 + p.len()];
    match header.get("alg").and_then(Value::as_str) {
        Some("HS256") => {
            let secret = keys
                .hs256
                .as_ref()
                .ok_or_else(|| invalid("HS256 tokens are not accepted here"))?;
            let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| invalid("no key"))?;
            mac.update(signed.as_bytes());
            // Constant-time comparison.
            mac.verify_slice(&signature)
                .map_err(|_| invalid("bad signature"))?;
        }
        Some("ES256") => {
            let key = keys
                .es256
                .as_ref()
                .ok_or_else(|| invalid("ES256 tokens are not accepted here"))?;
            let sig = Signature::from_slice(&signature).map_err(|_| invalid("bad signature"))?;
            key.verify(signed.as_bytes(), &sig)
                .map_err(|_| invalid("bad signature"))?;
        }
        Some(other) => return Err(invalid(&format!("algorithm {other:?} is not accepted"))),
        None => return Err(invalid("no algorithm")),
    }
    let claims: Value = serde_json::from_slice(&decode(p)?).map_err(|_| invalid("bad claims"))?;
    let exp = claims
        .get("exp")
        .and_then(Value::as_f64)
        .ok_or_else(|| invalid("no exp"))?;
    if now >= exp {
        return Err(invalid("expired"));
    }
    if let Some(nbf) = claims.get("nbf") {
        let nbf = nbf.as_f64().ok_or_else(|| invalid("bad nbf"))?;
        if now < nbf {
            return Err(invalid("not valid yet"));
        }
    }
    if let Some(want) = &keys.audience {
        let ok = match claims.get("aud") {
            Some(Value::String(a)) => a == want,
            Some(Value::Array(a)) => a.iter().any(|x| x.as_str() == Some(want)),
            _ => false,
        };
        if !ok {
            return Err(invalid("wrong audience"));
        }
    }
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .unwrap_or("jwt")
        .chars()
        .take(64)
        .collect::<String>();
    let scopes = match (claims.get("scope"), claims.get("scopes")) {
        (Some(Value::String(s)), _) => s.split_whitespace().map(str::to_string).collect(),
        (_, Some(Value::Array(a))) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    let stations = match claims.get("stations") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    Ok(Caller::new(format!("jwt:{sub}"), scopes, stations))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(v: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(v)
    }

    fn hs256(secret: &[u8], header: &str, claims: &str) -> String {
        let signed = format!("{}.{}", b64(header.as_bytes()), b64(claims.as_bytes()));
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
        mac.update(signed.as_bytes());
        format!("{signed}.{}", b64(&mac.finalize().into_bytes()))
    }

    #[test]
    fn hs256_tokens_are_checked() {
        let keys = JwtKeys {
            hs256: Some(b"s3cret".to_vec()),
            es256: None,
            audience: Some("aqcast".into()),
        };
        let h = r#"{"alg":"HS256","typ":"JWT"}"#;
        let ok = hs256(
            b"s3cret",
            h,
            r#"{"sub":"app","scope":"read predict","exp":2000,"aud":"aqcast"}"#,
        );
        assert!(looks_like_jwt(&ok));
        let c = verify(&ok, &keys, 1000.0).unwrap();
        assert_eq!(c.id, "jwt:app");
        c.require(crate::auth::Scope::Read).unwrap();
        c.require(crate::auth::Scope::Predict).unwrap();
        assert!(c.require(crate::auth::Scope::Admin).is_err());
        assert!(verify(&ok, &keys, 2000.0).is_err(), "expired");
        let early = hs256(b"s3cret", h, r#"{"exp":2000,"nbf":1500,"aud":"aqcast"}"#);
        assert!(verify(&early, &keys, 1000.0).is_err(), "not yet valid");
        let aud = hs256(b"s3cret", h, r#"{"exp":2000,"aud":"other"}"#);
        assert!(verify(&aud, &keys, 1000.0).is_err(), "wrong audience");
        let forged = hs256(b"guess", h, r#"{"exp":2000,"aud":"aqcast"}"#);
        assert!(verify(&forged, &keys, 1000.0).is_err(), "forged");
        let none = format!(
            "{}.{}.",
            b64(br#"{"alg":"none"}"#),
            b64(br#"{"exp":2000,"aud":"aqcast"}"#)
        );
        assert!(verify(&none, &keys, 1000.0).is_err(), "alg none");
        let no_exp = hs256(b"s3cret", h, r#"{"aud":"aqcast"}"#);
        assert!(verify(&no_exp, &keys, 1000.0).is_err(), "no exp");
    }
}
