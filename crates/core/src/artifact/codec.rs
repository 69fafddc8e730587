//! Binary encoding of [`Model`]. See the parent module for the layout.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use sha2::{Digest, Sha256};

use super::{Head, Model, Parts};
use crate::ensemble::{Ensemble, Link, Precision};
use crate::Error;

/// The first 8 bytes of every artifact.
pub const MAGIC: [u8; 8] = *b"\x89AQM\r\n\x1a\n";
/// The format version this build writes and the newest it reads.
pub const FORMAT_VERSION: u16 = 2;
/// Bytes before the payload.
pub const HEADER_LEN: usize = 8 + 2 + 2 + 4 + 8 + 32;

/// The SHA-256 of a payload, as stored in the header (bytes 24..56).
pub fn checksum(payload: &[u8]) -> [u8; 32] {
    Sha256::digest(payload).into()
}
const ENC_F32: u8 = 0;
const ENC_F64: u8 = 1;

// Flags of a head in the HEAD section.
const HAS_HORIZON: u8 = 1;
const HAS_QUANTILE: u8 = 2;
const AVERAGE: u8 = 4;

pub(super) fn encode(m: &Model) -> Result<Vec<u8>, Error> {
    let json = |what: &str, r: Result<Vec<u8>, serde_json::Error>| {
        r.map_err(|e| Error::Malformed(format!("cannot encode the {what}: {e}")))
    };
    let mut payload = Vec::new();
    section(&mut payload, b"HEAD", &encode_head(m));
    section(
        &mut payload,
        b"META",
        &json("metadata", serde_json::to_vec(&m.metadata))?,
    );
    if let Some(p) = &m.pipeline {
        section(
            &mut payload,
            b"PIPE",
            &json("pipeline", serde_json::to_vec(p))?,
        );
    }
    if let Some(f) = &m.forecast {
        section(
            &mut payload,
            b"FCST",
            &json("forecast", serde_json::to_vec(f))?,
        );
    }
    if let Some(r) = &m.reference {
        section(
            &mut payload,
            b"REFH",
            &json("reference histograms", serde_json::to_vec(r))?,
        );
    }
    for h in &m.heads {
        section(&mut payload, b"TREE", &encode_trees(&h.ensemble));
    }
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&checksum(&payload));
    out.extend_from_slice(&payload);
    Ok(out)
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn encode_head(m: &Model) -> Vec<u8> {
    let mut o = Vec::new();
    o.extend_from_slice(&(m.features.len() as u32).to_le_bytes());
    for f in &m.features {
        put_str(&mut o, f);
    }
    o.push(m.named_features as u8);
    o.extend_from_slice(&(m.heads.len() as u32).to_le_bytes());
    for h in &m.heads {
        let e = &h.ensemble;
        put_str(&mut o, &h.target);
        let flags = if h.horizon_hours.is_some() {
            HAS_HORIZON
        } else {
            0
        } | if h.quantile.is_some() {
            HAS_QUANTILE
        } else {
            0
        } | if e.average { AVERAGE } else { 0 };
        o.push(flags);
        o.push(match e.precision {
            Precision::F32 => 0,
            Precision::F64 => 1,
        });
        o.push(match e.link {
            Link::Identity => 0,
            Link::Exp => 1,
        });
        o.extend_from_slice(&h.horizon_hours.unwrap_or(0).to_le_bytes());
        o.extend_from_slice(&h.quantile.unwrap_or(0.0).to_le_bytes());
        o.extend_from_slice(&e.n_features.to_le_bytes());
        o.extend_from_slice(&e.base_score.to_le_bytes());
    }
    o
}

fn section(out: &mut Vec<u8>, tag: &[u8; 4], body: &[u8]) {
    out.extend_from_slice(tag);
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(body);
}

fn fits_f32(v: &[f64]) -> bool {
    v.iter().all(|&x| (x as f32) as f64 == x)
}

fn put_floats(out: &mut Vec<u8>, v: &[f64], enc: u8) {
    for &x in v {
        if enc == ENC_F32 {
            out.extend_from_slice(&(x as f32).to_le_bytes());
        } else {
            out.extend_from_slice(&x.to_le_bytes());
        }
    }
}

fn enc_of(v: &[f64]) -> u8 {
    if fits_f32(v) {
        ENC_F32
    } else {
        ENC_F64
    }
}

fn encode_trees(e: &Ensemble) -> Vec<u8> {
    let mut o = Vec::new();
    o.extend_from_slice(&(e.n_trees() as u32).to_le_bytes());
    o.extend_from_slice(&(e.n_nodes() as u32).to_le_bytes());
    o.extend_from_slice(&(e.n_leaves() as u32).to_le_bytes());
    let covers: Vec<f64> = e.node_cover.iter().chain(&e.leaf_cover).copied().collect();
    let (te, le, ce) = (enc_of(&e.threshold), enc_of(&e.leaf_value), enc_of(&covers));
    o.extend_from_slice(&[te, le, ce, 0]);
    for v in e
        .node_offsets
        .iter()
        .chain(&e.leaf_offsets)
        .chain(&e.feature)
    {
        o.extend_from_slice(&v.to_le_bytes());
    }
    put_floats(&mut o, &e.threshold, te);
    let mut bits = alloc::vec![0u8; e.n_nodes().div_ceil(8)];
    for (i, &d) in e.default_left.iter().enumerate() {
        if d {
            bits[i / 8] |= 1 << (i % 8);
        }
    }
    o.extend_from_slice(&bits);
    for v in e.left.iter().chain(&e.right) {
        o.extend_from_slice(&v.to_le_bytes());
    }
    put_floats(&mut o, &e.node_cover, ce);
    put_floats(&mut o, &e.leaf_value, le);
    put_floats(&mut o, &e.leaf_cover, ce);
    o
}

/// A cursor over untrusted bytes: every read is bounds-checked first, and arrays are
/// allocated only after their full byte length is known to be present.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Offset of `buf` in the whole file, for error messages.
    base: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8], base: usize) -> Self {
        Reader { buf, pos: 0, base }
    }

    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], Error> {
        if n > self.remaining() {
            return Err(Error::Truncated {
                what,
                offset: self.base + self.pos,
            });
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], Error> {
        let s = self.take(N, what)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, Error> {
        Ok(self.take(1, what)?[0])
    }

    fn f64(&mut self, what: &'static str) -> Result<f64, Error> {
        Ok(f64::from_le_bytes(self.array(what)?))
    }

    /// A `u32` count of items of at least `min_size` bytes each, checked against the
    /// bytes left so that no caller allocates for items that are not there.
    fn count(&mut self, min_size: usize, what: &'static str) -> Result<usize, Error> {
        let at = self.base + self.pos;
        let n = self.u32(what)? as usize;
        if n.saturating_mul(min_size) > self.remaining() {
            return Err(Error::Truncated { what, offset: at });
        }
        Ok(n)
    }

    /// A length-prefixed UTF-8 string.
    fn str(&mut self, what: &'static str) -> Result<String, Error> {
        let at = self.base + self.pos;
        let n = self.u32(what)? as usize;
        let bytes = self.take(n, what)?;
        core::str::from_utf8(bytes)
            .map(String::from)
            .map_err(|_| Error::Malformed(format!("{what} at byte {at} is not UTF-8")))
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, Error> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    fn u64(&mut self, what: &'static str) -> Result<u64, Error> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    /// `n` items of `size` bytes, checked to be present before anything is allocated.
    fn items(&mut self, n: usize, size: usize, what: &'static str) -> Result<&'a [u8], Error> {
        let bytes = n.checked_mul(size).ok_or(Error::Truncated {
            what,
            offset: self.base + self.pos,
        })?;
        self.take(bytes, what)
    }

    fn u32s(&mut self, n: usize, what: &'static str) -> Result<Vec<u32>, Error> {
        let s = self.items(n, 4, what)?;
        Ok(s.chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    fn i32s(&mut self, n: usize, what: &'static str) -> Result<Vec<i32>, Error> {
        let s = self.items(n, 4, what)?;
        Ok(s.chunks_exact(4)
            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    fn floats(&mut self, n: usize, enc: u8, what: &'static str) -> Result<Vec<f64>, Error> {
        match enc {
            ENC_F32 => {
                let s = self.items(n, 4, what)?;
                Ok(s.chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64)
                    .collect())
            }
            ENC_F64 => {
                let s = self.items(n, 8, what)?;
                Ok(s.chunks_exact(8)
                    .map(|c| {
                        let mut a = [0u8; 8];
                        a.copy_from_slice(c);
                        f64::from_le_bytes(a)
                    })
                    .collect())
            }
            other => Err(Error::Malformed(format!(
                "{what}: unknown float encoding {other}"
            ))),
        }
    }
}

pub(super) fn decode(bytes: &[u8]) -> Result<Parts, Error> {
    if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
        return Err(Error::NotAnArtifact);
    }
    let mut r = Reader::new(bytes, 0);
    r.take(MAGIC.len(), "magic")?;
    let version = u16::from_le_bytes(r.array("format version")?);
    if version != FORMAT_VERSION {
        return Err(Error::UnsupportedVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let _flags = r.array::<2>("flags")?;
    let _reserved = r.u32("reserved header field")?;
    let payload_len = r.u64("payload length")?;
    let sum: [u8; 32] = r.array("checksum")?;
    let rest = r.remaining() as u64;
    if payload_len > rest {
        return Err(Error::Truncated {
            what: "payload",
            offset: bytes.len(),
        });
    }
    if payload_len < rest {
        return Err(Error::Malformed(format!(
            "{} unexpected bytes after the payload",
            rest - payload_len
        )));
    }
    let payload = &bytes[HEADER_LEN..];
    if checksum(payload) != sum {
        return Err(Error::ChecksumMismatch);
    }

    let mut r = Reader::new(payload, HEADER_LEN);
    let mut head: Option<(Vec<String>, bool, Vec<HeadMeta>)> = None;
    let mut metadata: Option<String> = None;
    let mut pipeline: Option<String> = None;
    let mut forecast: Option<String> = None;
    let mut reference: Option<String> = None;
    let mut trees: Vec<Ensemble> = Vec::new();
    while r.remaining() > 0 {
        let at = r.base + r.pos;
        let tag: [u8; 4] = r.array("section tag")?;
        let len = r.u64("section length")?;
        let len = usize::try_from(len).map_err(|_| Error::Truncated {
            what: "section",
            offset: at,
        })?;
        let body = r.take(len, "section body")?;
        match &tag {
            b"HEAD" if head.is_none() => head = Some(decode_head(body, at + 12)?),
            b"META" if metadata.is_none() => metadata = Some(text(body, "metadata", at)?),
            b"PIPE" if pipeline.is_none() => pipeline = Some(text(body, "pipeline", at)?),
            b"FCST" if forecast.is_none() => forecast = Some(text(body, "forecast", at)?),
            b"REFH" if reference.is_none() => {
                reference = Some(text(body, "reference histograms", at)?)
            }
            b"TREE" => {
                let (_, _, heads) = head.as_ref().ok_or_else(|| {
                    Error::Malformed(format!("tree section at byte {at} before the head section"))
                })?;
                let h = heads.get(trees.len()).ok_or_else(|| {
                    Error::Malformed(format!(
                        "tree section at byte {at}: more tree sections than the {} heads",
                        heads.len()
                    ))
                })?;
                trees.push(decode_trees(body, at + 12, h)?);
            }
            other => {
                return Err(Error::Malformed(format!(
                    "unknown or repeated section \"{}\" at byte {at} (written by a newer aqcast?)",
                    String::from_utf8_lossy(other)
                )))
            }
        }
    }
    let (features, named_features, heads) =
        head.ok_or_else(|| Error::Malformed("no head section".into()))?;
    let metadata_json = metadata.ok_or_else(|| Error::Malformed("no metadata section".into()))?;
    if trees.len() != heads.len() {
        return Err(Error::Malformed(format!(
            "{} heads described but {} tree sections present",
            heads.len(),
            trees.len()
        )));
    }
    let heads = heads
        .into_iter()
        .zip(trees)
        .map(|(h, ensemble)| Head {
            target: h.target,
            horizon_hours: h.horizon_hours,
            quantile: h.quantile,
            ensemble,
        })
        .collect();
    Ok(Parts {
        features,
        named_features,
        heads,
        metadata_json,
        pipeline_json: pipeline,
        forecast_json: forecast,
        reference_json: reference,
    })
}

/// A JSON section's text (parsed, if at all, by whoever needs it).
fn text(body: &[u8], what: &str, at: usize) -> Result<String, Error> {
    core::str::from_utf8(body)
        .map(String::from)
        .map_err(|_| Error::Malformed(format!("{what} section at byte {at} is not UTF-8")))
}

/// The scalar part of a head, carried in the HEAD section.
struct HeadMeta {
    target: String,
    horizon_hours: Option<u32>,
    quantile: Option<f64>,
    n_features: u32,
    precision: Precision,
    link: Link,
    base_score: f64,
    average: bool,
}

fn decode_head(body: &[u8], base: usize) -> Result<(Vec<String>, bool, Vec<HeadMeta>), Error> {
    let mut r = Reader::new(body, base);
    // Every count is checked against the bytes left before anything is allocated: each
    // item takes at least 4 bytes.
    let n = r.count(4, "feature count")?;
    let features = (0..n)
        .map(|_| r.str("feature name"))
        .collect::<Result<Vec<_>, _>>()?;
    let named = match r.u8("named-features flag")? {
        0 => false,
        1 => true,
        other => {
            return Err(Error::Malformed(format!(
                "head section: named-features flag {other} is neither 0 nor 1"
            )))
        }
    };
    // target length, flags, precision, link, horizon, quantile, features, base score
    let n = r.count(4 + 3 + 4 + 8 + 4 + 8, "head count")?;
    let mut heads = Vec::with_capacity(n);
    for i in 0..n {
        let target = r.str("head target")?;
        let flags = r.u8("head flags")?;
        let precision = match r.u8("head precision")? {
            0 => Precision::F32,
            1 => Precision::F64,
            other => {
                return Err(Error::Malformed(format!(
                    "head {i}: unknown precision code {other}"
                )))
            }
        };
        let link = match r.u8("head link")? {
            0 => Link::Identity,
            1 => Link::Exp,
            other => {
                return Err(Error::Malformed(format!(
                    "head {i}: unknown link code {other}"
                )))
            }
        };
        let horizon = r.u32("head horizon")?;
        let quantile = r.f64("head quantile")?;
        let n_features = r.u32("head feature count")?;
        let base_score = r.f64("head base score")?;
        if flags & !(HAS_HORIZON | HAS_QUANTILE | AVERAGE) != 0 {
            return Err(Error::Malformed(format!(
                "head {i}: unknown flags {flags:#x}"
            )));
        }
        heads.push(HeadMeta {
            target,
            horizon_hours: (flags & HAS_HORIZON != 0).then_some(horizon),
            quantile: (flags & HAS_QUANTILE != 0).then_some(quantile),
            n_features,
            precision,
            link,
            base_score,
            average: flags & AVERAGE != 0,
        });
    }
    if r.remaining() != 0 {
        return Err(Error::Malformed(format!(
            "head section at byte {base}: {} unexpected trailing bytes",
            r.remaining()
        )));
    }
    Ok((features, named, heads))
}

fn decode_trees(body: &[u8], base: usize, h: &HeadMeta) -> Result<Ensemble, Error> {
    let mut r = Reader::new(body, base);
    let n_trees = r.u32("tree count")? as usize;
    let n_nodes = r.u32("node count")? as usize;
    let n_leaves = r.u32("leaf count")? as usize;
    let [te, le, ce, _] = r.array::<4>("float encodings")?;
    let offsets = n_trees.checked_add(1).ok_or(Error::Truncated {
        what: "tree offsets",
        offset: base,
    })?;
    let node_offsets = r.u32s(offsets, "node offsets")?;
    let leaf_offsets = r.u32s(offsets, "leaf offsets")?;
    let feature = r.u32s(n_nodes, "split features")?;
    let threshold = r.floats(n_nodes, te, "thresholds")?;
    let bits = r.take(n_nodes.div_ceil(8), "default directions")?;
    let default_left = (0..n_nodes)
        .map(|i| bits[i / 8] >> (i % 8) & 1 == 1)
        .collect();
    let left = r.i32s(n_nodes, "left children")?;
    let right = r.i32s(n_nodes, "right children")?;
    let node_cover = r.floats(n_nodes, ce, "node covers")?;
    let leaf_value = r.floats(n_leaves, le, "leaf values")?;
    let leaf_cover = r.floats(n_leaves, ce, "leaf covers")?;
    if r.remaining() != 0 {
        return Err(Error::Malformed(format!(
            "tree section at byte {base}: {} unexpected trailing bytes",
            r.remaining()
        )));
    }
    Ok(Ensemble {
        n_features: h.n_features,
        precision: h.precision,
        link: h.link,
        base_score: h.base_score,
        average: h.average,
        node_offsets,
        leaf_offsets,
        feature,
        threshold,
        default_left,
        left,
        right,
        node_cover,
        leaf_value,
        leaf_cover,
    })
}
