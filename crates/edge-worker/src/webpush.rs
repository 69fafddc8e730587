//! Web Push from the worker, as the standards say a push service takes it: the message
//! encrypted for one subscription (RFC 8291, "aes128gcm" content coding of RFC 8188: an
//! ECDH share with the browser's P-256 key, HKDF-SHA-256 with its auth secret, one
//! AES-128-GCM record) and the request signed for the push service with the server's
//! VAPID key (RFC 8292: an ES256 JWT for the endpoint's origin). Pure functions of their
//! inputs (the salt and the ephemeral key come from the caller), so they are tested
//! against the RFC's own example.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use sha2::Sha256;

/// The record size the message is sent in (RFC 8188 §2): one record holds it all.
pub const RECORD_SIZE: u32 = 4096;

/// The most a message may hold: a record less its padding delimiter and tag, and what
/// push services accept (4,096 bytes of body, RFC 8291 §4).
pub const MAX_PLAINTEXT: usize = 3993;

/// Why a message could not be made.
#[derive(Debug, PartialEq, Eq)]
pub enum PushError {
    /// The subscription's `p256dh` is not an uncompressed P-256 point.
    BadKey,
    /// The subscription's `auth` is not 16 bytes.
    BadAuth,
    /// The message is longer than one record holds.
    TooLong(usize),
}

impl std::fmt::Display for PushError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PushError::BadKey => f.write_str(
                "the subscription's p256dh key is not a P-256 public key (65 bytes, base64url)",
            ),
            PushError::BadAuth => {
                f.write_str("the subscription's auth secret is not 16 bytes (base64url)")
            }
            PushError::TooLong(n) => write!(
                f,
                "a push message holds at most {MAX_PLAINTEXT} bytes; this one has {n}"
            ),
        }
    }
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC takes a key of any length.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

/// `plaintext` encrypted for the subscription (`ua_public`: its `p256dh`, 65 bytes;
/// `auth`: its 16-byte secret) with the ephemeral key `ephemeral` and `salt`: the whole
/// request body (RFC 8188 header with the server's public key, then one record).
pub fn encrypt(
    plaintext: &[u8],
    ua_public: &[u8],
    auth: &[u8],
    ephemeral: &SecretKey,
    salt: &[u8; 16],
) -> Result<Vec<u8>, PushError> {
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(PushError::TooLong(plaintext.len()));
    }
    if auth.len() != 16 {
        return Err(PushError::BadAuth);
    }
    if ua_public.len() != 65 {
        return Err(PushError::BadKey);
    }
    let ua = PublicKey::from_sec1_bytes(ua_public).map_err(|_| PushError::BadKey)?;
    let as_public = ephemeral.public_key().to_encoded_point(false);
    let shared = p256::ecdh::diffie_hellman(ephemeral.to_nonzero_scalar(), ua.as_affine());
    // RFC 8291 §3.4: IKM from the ECDH secret and the auth secret, bound to both keys.
    let prk_key = hmac(auth, &[shared.raw_secret_bytes().as_slice()]);
    let ikm = hmac(
        &prk_key,
        &[b"WebPush: info\0", ua_public, as_public.as_bytes(), &[1]],
    );
    // RFC 8188 §2.2–2.3: the content key and nonce from the salt.
    let prk = hmac(salt, &[&ikm]);
    let cek = hmac(&prk, &[b"Content-Encoding: aes128gcm\0", &[1]]);
    let nonce = hmac(&prk, &[b"Content-Encoding: nonce\0", &[1]]);
    use aes_gcm::aead::{Aead, KeyInit};
    let cipher = aes_gcm::Aes128Gcm::new_from_slice(&cek[..16]).map_err(|_| PushError::BadKey)?;
    // The last (and only) record: the plaintext, then the delimiter 2 (no padding).
    let mut record = plaintext.to_vec();
    record.push(2);
    let sealed = cipher
        .encrypt(aes_gcm::Nonce::from_slice(&nonce[..12]), record.as_slice())
        .map_err(|_| PushError::TooLong(plaintext.len()))?;
    let mut body = Vec::with_capacity(16 + 4 + 1 + 65 + sealed.len());
    body.extend_from_slice(salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(65);
    body.extend_from_slice(as_public.as_bytes());
    body.extend_from_slice(&sealed);
    Ok(body)
}

/// The `Authorization` header of a push to `endpoint` (RFC 8292 §3): `vapid t=<JWT>,
/// k=<public key>`, the JWT's audience the endpoint's origin, valid until `expires`
/// (Unix seconds, at most 24 hours ahead), `subject` a `mailto:` or `https:` contact.
pub fn vapid(endpoint_origin: &str, subject: &str, expires: i64, key: &SigningKey) -> String {
    let header = B64.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
    let claims = serde_json::json!({ "aud": endpoint_origin, "exp": expires, "sub": subject });
    let claims = B64.encode(claims.to_string());
    let signing_input = format!("{header}.{claims}");
    let sig: Signature = key.sign(signing_input.as_bytes());
    let public = B64.encode(key.verifying_key().to_encoded_point(false).as_bytes());
    format!(
        "vapid t={signing_input}.{}, k={public}",
        B64.encode(sig.to_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Verifier;
    use p256::ecdsa::VerifyingKey;

    fn d(s: &str) -> Vec<u8> {
        B64.decode(s).unwrap()
    }

    #[test]
    fn the_rfc_8291_example_encrypts_to_the_rfc_s_bytes() {
        // RFC 8291, Appendix A.
        let ephemeral =
            SecretKey::from_slice(&d("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw")).unwrap();
        let ua_public = d("BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4");
        let auth = d("BTBZMqHH6r4Tts7J_aSIgg");
        let salt: [u8; 16] = d("DGv6ra1nlYgDCS1FRnbzlw").try_into().unwrap();
        let body = encrypt(
            b"When I grow up, I want to be a watermelon",
            &ua_public,
            &auth,
            &ephemeral,
            &salt,
        )
        .unwrap();
        assert_eq!(
            B64.encode(&body),
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
        );
    }

    #[test]
    fn bad_subscriptions_and_long_messages_are_refused() {
        let k = SecretKey::from_slice(&[7; 32]).unwrap();
        let ua = k.public_key().to_encoded_point(false).as_bytes().to_vec();
        let salt = [0; 16];
        assert_eq!(
            encrypt(b"x", &ua, &[0; 15], &k, &salt),
            Err(PushError::BadAuth)
        );
        assert_eq!(
            encrypt(b"x", &ua[..64], &[0; 16], &k, &salt),
            Err(PushError::BadKey)
        );
        let mut off_curve = ua.clone();
        off_curve[64] ^= 1;
        assert_eq!(
            encrypt(b"x", &off_curve, &[0; 16], &k, &salt),
            Err(PushError::BadKey)
        );
        let long = vec![b'a'; MAX_PLAINTEXT + 1];
        assert_eq!(
            encrypt(&long, &ua, &[0; 16], &k, &salt),
            Err(PushError::TooLong(MAX_PLAINTEXT + 1))
        );
        // The longest message fits the record size push services take.
        let body = encrypt(&long[..MAX_PLAINTEXT], &ua, &[0; 16], &k, &salt).unwrap();
        assert_eq!(body.len(), 4096);
    }

    #[test]
    fn the_vapid_header_verifies_with_its_own_key() {
        let key = SigningKey::from_slice(&[9; 32]).unwrap();
        let h = vapid(
            "https://push.example.net",
            "mailto:ops@aqcast.example",
            1_700_000_000,
            &key,
        );
        let rest = h.strip_prefix("vapid t=").unwrap();
        let (jwt, k) = rest.split_once(", k=").unwrap();
        let (input, sig) = jwt.rsplit_once('.').unwrap();
        let public = VerifyingKey::from_sec1_bytes(&d(k)).unwrap();
        let sig = Signature::from_slice(&d(sig)).unwrap();
        public.verify(input.as_bytes(), &sig).unwrap();
        let claims: serde_json::Value =
            serde_json::from_slice(&d(input.split('.').nth(1).unwrap())).unwrap();
        assert_eq!(claims["aud"], "https://push.example.net");
        assert_eq!(claims["exp"], 1_700_000_000);
        assert_eq!(claims["sub"], "mailto:ops@aqcast.example");
    }
}
