//! Binary encoding of [`Model`]. See the parent module for the layout.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use sha2::{Digest, Sha256};

use super::trees::Tables;
use super::{Head, Model, Parts};
use crate::Error;
use aqcast_engine::ensemble::{Ensemble, Link, Precision};

/// The first 8 bytes of every artifact.
pub const MAGIC: [u8; 8] = *b"\x89AQM\r\n\x1a\n";
/// The format version this build writes and the newest it reads.
pub const FORMAT_VERSION: u16 = 3;
/// The oldest format version this build reads: format 2 differs from 3 only in its tree
/// sections, which held every array plain (see `trees`).
pub const OLDEST_READ_VERSION: u16 = 2;
/// Bytes before the payload.
pub const HEADER_LEN: usize = 8 + 2 + 2 + 4 + 8 + 32;

/// The SHA-256 of a payload, as stored in the header (bytes 24..56).
pub fn checksum(payload: &[u8]) -> [u8; 32] {
    Sha256::digest(payload).into()
}
/// Float array encodings, shared by both formats' tree sections.
pub(super) const ENC_F32: u8 = 0;
pub(super) const ENC_F64: u8 = 1;

// Flags of a head in the HEAD section.
const HAS_HORIZON: u8 = 1;
const HAS_QUANTILE: u8 = 2;
const AVERAGE: u8 = 4;

pub(super) fn encode(m: &Model) -> Result<Vec<u8>, Error> {
    encode_with(m, FORMAT_VERSION, |m, payload| {
        let ensembles: Vec<&Ensemble> = m.heads.iter().map(|h| &h.ensemble).collect();
        let tables = Tables::of(&ensembles);
        if let Some(t) = &tables {
            section(payload, b"BNDS", &t.encode());
        }
        for e in ensembles {
            section(payload, b"TREE", &super::trees::encode(e, tables.as_ref()));
        }
    })
}

/// The model in format 2, whose tree sections this build no longer writes but reads
/// (a generic step of [`encode_with`], so that only this function's callers carry it).
pub(super) fn encode_v2(m: &Model) -> Result<Vec<u8>, Error> {
    encode_with(m, 2, |m, payload| {
        for h in &m.heads {
            section(payload, b"TREE", &encode_v2_trees(&h.ensemble));
        }
    })
}

fn encode_with(
    m: &Model,
    version: u16,
    trees: impl Fn(&Model, &mut Vec<u8>),
) -> Result<Vec<u8>, Error> {
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
    trees(m, &mut payload);
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&version.to_le_bytes());
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

/// Format 2's tree section, which this build writes only when asked
/// ([`Model::encode_format`]): kept so that the tests can check that such files still
/// read. Nothing in the front ends calls it, so their wasm does not carry it.
pub(super) fn encode_v2_trees(e: &Ensemble) -> Vec<u8> {
    let fits_f32 = |v: &[f64]| v.iter().all(|&x| (x as f32) as f64 == x);
    let enc_of = |v: &[f64]| if fits_f32(v) { ENC_F32 } else { ENC_F64 };
    let put_floats = |out: &mut Vec<u8>, v: &[f64], enc: u8| {
        for &x in v {
            if enc == ENC_F32 {
                out.extend_from_slice(&(x as f32).to_le_bytes());
            } else {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
    };
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
pub(super) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Offset of `buf` in the whole file, for error messages.
    base: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn new(buf: &'a [u8], base: usize) -> Self {
        Reader { buf, pos: 0, base }
    }

    pub(super) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub(super) fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], Error> {
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

    pub(super) fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], Error> {
        let s = self.take(N, what)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    pub(super) fn u8(&mut self, what: &'static str) -> Result<u8, Error> {
        Ok(self.take(1, what)?[0])
    }

    fn f64(&mut self, what: &'static str) -> Result<f64, Error> {
        Ok(f64::from_le_bytes(self.array(what)?))
    }

    /// A `u32` count of items of at least `min_size` bytes each, checked against the
    /// bytes left so that no caller allocates for items that are not there.
    pub(super) fn count(&mut self, min_size: usize, what: &'static str) -> Result<usize, Error> {
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

    pub(super) fn u32(&mut self, what: &'static str) -> Result<u32, Error> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    fn u64(&mut self, what: &'static str) -> Result<u64, Error> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    /// `n` items of `size` bytes, checked to be present before anything is allocated.
    pub(super) fn items(
        &mut self,
        n: usize,
        size: usize,
        what: &'static str,
    ) -> Result<&'a [u8], Error> {
        let bytes = n.checked_mul(size).ok_or(Error::Truncated {
            what,
            offset: self.base + self.pos,
        })?;
        self.take(bytes, what)
    }

    pub(super) fn u32s(&mut self, n: usize, what: &'static str) -> Result<Vec<u32>, Error> {
        let s = self.items(n, 4, what)?;
        Ok(s.chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    pub(super) fn floats(
        &mut self,
        n: usize,
        enc: u8,
        what: &'static str,
    ) -> Result<Vec<f64>, Error> {
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
    if !(OLDEST_READ_VERSION..=FORMAT_VERSION).contains(&version) {
        return Err(Error::UnsupportedVersion {
            found: version,
            supported: if version > FORMAT_VERSION {
                FORMAT_VERSION
            } else {
                OLDEST_READ_VERSION
            },
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
    let mut tables: Option<Tables> = None;
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
            b"BNDS" if version >= 3 && tables.is_none() && trees.is_empty() => {
                tables = Some(Tables::decode(body, at + 12)?)
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
                trees.push(super::trees::decode(
                    body,
                    at + 12,
                    h,
                    tables.as_ref(),
                    version == 2,
                )?);
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
pub(super) struct HeadMeta {
    pub(super) target: String,
    pub(super) horizon_hours: Option<u32>,
    pub(super) quantile: Option<f64>,
    pub(super) n_features: u32,
    pub(super) precision: Precision,
    pub(super) link: Link,
    pub(super) base_score: f64,
    pub(super) average: bool,
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
