//! Decoding untrusted bytes never panics and never accepts a corrupted model.

use aqcast_core::artifact::{checksum, HEADER_LEN};
use aqcast_core::{Model, ModelError as Error, Parts};
use aqcast_e2e::model;
use proptest::prelude::*;

fn valid() -> Vec<u8> {
    model("lightgbm_l2.txt").encode().unwrap()
}

/// Recomputes the header checksum, so that mutations reach the parser behind it.
fn resign(bytes: &mut [u8]) {
    if bytes.len() >= HEADER_LEN {
        let sum = checksum(&bytes[HEADER_LEN..]);
        bytes[24..56].copy_from_slice(&sum);
    }
}

#[test]
fn header_errors_are_specific() {
    let good = valid();
    assert_eq!(Model::decode(b"tree\n").unwrap_err(), Error::NotAnArtifact);
    assert!(matches!(
        Model::decode(&good[..40]).unwrap_err(),
        Error::Truncated { .. }
    ));
    assert!(matches!(
        Model::decode(&good[..good.len() - 1]).unwrap_err(),
        Error::Truncated { .. }
    ));
    let mut v = good.clone();
    v[8] = 9;
    assert!(matches!(
        Model::decode(&v).unwrap_err(),
        Error::UnsupportedVersion { found: 9, .. }
    ));
    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    assert_eq!(
        Model::decode(&flipped).unwrap_err(),
        Error::ChecksumMismatch
    );
    let mut longer = good.clone();
    longer.push(0);
    assert!(Model::decode(&longer).is_err());
}

#[test]
fn a_huge_declared_length_allocates_nothing() {
    // A tree section that claims 2^32-1 nodes in a few bytes must fail before allocating.
    let mut v = valid();
    let at = v
        .windows(4)
        .position(|w| w == b"TREE")
        .expect("tree section");
    let nodes = at + 12 + 4;
    v[nodes..nodes + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    resign(&mut v);
    assert!(matches!(Model::decode(&v), Err(Error::Truncated { .. })));
}

#[test]
fn an_older_format_version_says_to_reimport() {
    let mut v = valid();
    v[8] = 1;
    let e = Model::decode(&v).unwrap_err();
    assert!(matches!(
        e,
        Error::UnsupportedVersion {
            found: 1,
            supported: 2
        }
    ));
    assert!(e.to_string().contains("re-import"), "{e}");
}

#[test]
fn a_huge_feature_count_allocates_nothing() {
    // The head section comes first: its feature count sits right after its tag and length.
    let mut v = valid();
    assert_eq!(&v[HEADER_LEN..HEADER_LEN + 4], b"HEAD");
    let count = HEADER_LEN + 12;
    v[count..count + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    resign(&mut v);
    assert!(matches!(Parts::decode(&v), Err(Error::Truncated { .. })));
}

#[test]
fn parts_hold_the_model_without_parsing_json() {
    let m = model("lightgbm_l2.txt");
    let bytes = m.encode().unwrap();
    let p = Parts::decode(&bytes).unwrap();
    assert_eq!(p.features, m.features);
    assert_eq!(p.named_features, m.named_features);
    assert_eq!(p.heads, m.heads);
    assert_eq!(p.pipeline_json, None);
    assert!(
        p.metadata_json.contains(&m.metadata.source),
        "{}",
        p.metadata_json
    );
    assert_eq!(Model::from_parts(p).unwrap(), m);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = Model::decode(&bytes);
        let _ = aqcast_core::import::load_any(&bytes);
    }

    #[test]
    fn mutated_artifacts_fail_cleanly_or_stay_safe(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in proptest::option::of(any::<prop::sample::Index>()),
    ) {
        let mut v = valid();
        for (i, b) in edits {
            let i = 56 + i.index(v.len() - 56);
            v[i] = b;
        }
        if let Some(c) = cut {
            v.truncate(56 + c.index(v.len() - 56));
        }
        resign(&mut v);
        // The lean decoder accepts whatever the whole one accepts, and runs it safely too.
        let parts = Parts::decode(&v);
        if let Ok(p) = &parts {
            let row = vec![1.0; p.features.len()];
            let _ = p.predictors().unwrap()[0].predict_row(&row);
        }
        if let Ok(m) = Model::decode(&v) {
            prop_assert!(parts.is_ok());
            // Whatever decodes is valid and runs without panicking.
            let p = m.predictors().unwrap();
            let row = vec![1.0; m.features.len()];
            let _ = p[0].predict_row(&row);
            let _ = aqcast_core::shap::explain(&m.heads[0].ensemble, &row);
        }
    }
}
