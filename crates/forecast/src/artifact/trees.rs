//! The `TREE` section of format 3: one ensemble's arrays, each in the narrowest encoding
//! that gives back exactly the same bits.
//!
//! ```text
//! n_trees u32 · n_nodes u32 · n_leaves u32
//! node_offsets, leaf_offsets   (n_trees + 1) u32 each
//! features      width u8 (1, 2, 4) · n_nodes unsigned ints
//! thresholds    0 | 1: n_nodes f32 | f64
//!               2 (tables): n_nodes indices into their feature's table of the model's
//!                 `BNDS` section (see `Tables`), of its index width
//! missing       n_nodes bits: default_left
//! structure     0 (explicit): width u8 (1, 2, 4) · left, right as signed ints
//!               1 (pre-order): one bit per node and leaf of each tree in pre-order,
//!                 1 = internal node; internal nodes and leaves are numbered in the
//!                 order they are visited, which the trainer does
//! covers        0 | 1: node then leaf covers as f32 | f64
//!               2 (counts): leaf covers as LEB128 integers; an internal node's cover
//!                 is the sum of its children's
//! leaves        0 | 1: f32 | f64
//!               2 (grid): width u8 (1, 2) · per tree an i16 exponent e · per leaf a
//!                 signed int k, the leaf being k · 2^e (the trainer's `leaf_bits`)
//! ```
//!
//! The encoder tries each compact form and keeps it only when decoding it gives back
//! every value bit for bit, so a model is never changed by being written; the plain
//! forms cover whatever a compact one cannot (imported models, say). Format 2's section
//! held every array plain; one `decode` reads both, so that the npm package's modules
//! carry one small decoder.

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use super::codec::{HeadMeta, Reader};
use crate::Error;
use aqcast_engine::ensemble::{Ensemble, MAX_TREE_DEPTH};

use super::codec::{ENC_F32 as F32, ENC_F64 as F64};

const TABLES: u8 = 2;
const EXPLICIT: u8 = 0;
const PRE_ORDER: u8 = 1;
const COUNTS: u8 = 2;
const GRID: u8 = 2;

// ---------------------------------------------------------------------------------------
// Encoding

pub(super) fn encode(e: &Ensemble, tables: Option<&Tables>) -> Vec<u8> {
    let mut o = Vec::new();
    put_u32(&mut o, e.n_trees() as u32);
    put_u32(&mut o, e.n_nodes() as u32);
    put_u32(&mut o, e.n_leaves() as u32);
    for &v in e.node_offsets.iter().chain(&e.leaf_offsets) {
        put_u32(&mut o, v);
    }
    put_uints(&mut o, &e.feature);
    put_thresholds(&mut o, e, tables);
    put_bits(&mut o, e.default_left.iter().copied());
    put_structure(&mut o, e);
    put_covers(&mut o, e);
    put_leaves(&mut o, e);
    o
}

fn put_u32(o: &mut Vec<u8>, v: u32) {
    o.extend_from_slice(&v.to_le_bytes());
}

fn width_of(max: u64) -> u8 {
    match max {
        0..=0xFF => 1,
        0x100..=0xFFFF => 2,
        _ => 4,
    }
}

fn put_uints(o: &mut Vec<u8>, v: &[u32]) {
    let w = width_of(v.iter().copied().max().unwrap_or(0) as u64);
    o.push(w);
    for &x in v {
        o.extend_from_slice(&x.to_le_bytes()[..w as usize]);
    }
}

fn put_ints(o: &mut Vec<u8>, w: u8, v: impl Iterator<Item = i32>) {
    for x in v {
        o.extend_from_slice(&x.to_le_bytes()[..w as usize]);
    }
}

fn signed_width(v: impl Iterator<Item = i32>) -> u8 {
    let (lo, hi) = v.fold((0i32, 0i32), |(lo, hi), x| (lo.min(x), hi.max(x)));
    if lo >= i8::MIN as i32 && hi <= i8::MAX as i32 {
        1
    } else if lo >= i16::MIN as i32 && hi <= i16::MAX as i32 {
        2
    } else {
        4
    }
}

fn fits_f32(v: &[f64]) -> bool {
    v.iter()
        .all(|&x| ((x as f32) as f64).to_bits() == x.to_bits())
}

fn float_enc(v: &[f64]) -> u8 {
    if fits_f32(v) {
        F32
    } else {
        F64
    }
}

fn put_floats(o: &mut Vec<u8>, v: &[f64], enc: u8) {
    for &x in v {
        if enc == F32 {
            o.extend_from_slice(&(x as f32).to_le_bytes());
        } else {
            o.extend_from_slice(&x.to_le_bytes());
        }
    }
}

fn put_plain(o: &mut Vec<u8>, v: &[f64]) {
    let enc = float_enc(v);
    o.push(enc);
    put_floats(o, v, enc);
}

fn put_bits(o: &mut Vec<u8>, bits: impl Iterator<Item = bool>) {
    let mut byte = 0u8;
    let mut n = 0;
    for b in bits {
        byte |= (b as u8) << n;
        n += 1;
        if n == 8 {
            o.push(byte);
            (byte, n) = (0, 0);
        }
    }
    if n > 0 {
        o.push(byte);
    }
}

/// The distinct thresholds of each feature over all of a model's heads, ascending: a
/// trained model's thresholds are its bin bounds, a few hundred per feature shared by
/// every head, so the `BNDS` section holds them once and each node keeps a one- or
/// two-byte index into its feature's table.
#[derive(Debug, PartialEq)]
pub(super) struct Tables {
    /// `(feature, thresholds)`, by feature.
    tables: Vec<(u32, Vec<f64>)>,
    /// Bytes of an index: 1 when no table is longer than 256, else 2.
    index_width: usize,
}

impl Tables {
    /// The tables of these ensembles, when they take fewer bytes than plain thresholds.
    pub(super) fn of(ensembles: &[&Ensemble]) -> Option<Tables> {
        let mut tables: Vec<(u32, Vec<f64>)> = Vec::new();
        for e in ensembles {
            for (&f, &t) in e.feature.iter().zip(&e.threshold) {
                let at = match tables.binary_search_by_key(&f, |(g, _)| *g) {
                    Ok(i) => i,
                    Err(i) => {
                        tables.insert(i, (f, Vec::new()));
                        i
                    }
                };
                tables[at].1.push(t);
            }
        }
        for (_, t) in &mut tables {
            t.sort_by(f64::total_cmp);
            t.dedup_by(|a, b| a.to_bits() == b.to_bits());
        }
        let longest = tables.iter().map(|(_, t)| t.len()).max().unwrap_or(0);
        let index_width = if longest <= 0x100 { 1 } else { 2 };
        let all: Vec<f64> = tables.iter().flat_map(|(_, t)| t.iter().copied()).collect();
        let size = |v: &[f64]| if float_enc(v) == F32 { 4 } else { 8 };
        let nodes: usize = ensembles.iter().map(|e| e.n_nodes()).sum();
        let as_tables = all.len() * size(&all) + tables.len() * 8 + nodes * index_width;
        let plain: usize = ensembles
            .iter()
            .map(|e| e.n_nodes() * size(&e.threshold))
            .sum();
        (longest <= 0x1_0000 && as_tables < plain).then_some(Tables {
            tables,
            index_width,
        })
    }

    fn get(&self, feature: u32) -> Option<&[f64]> {
        self.tables
            .binary_search_by_key(&feature, |(g, _)| *g)
            .ok()
            .map(|i| self.tables[i].1.as_slice())
    }

    /// The `BNDS` section: float enc u8 · index width u8 · n_tables u32 · per table:
    /// feature u32, count u32, count floats.
    pub(super) fn encode(&self) -> Vec<u8> {
        let all: Vec<f64> = self
            .tables
            .iter()
            .flat_map(|(_, t)| t.iter().copied())
            .collect();
        let enc = float_enc(&all);
        let mut o = vec![enc, self.index_width as u8];
        put_u32(&mut o, self.tables.len() as u32);
        for (f, t) in &self.tables {
            put_u32(&mut o, *f);
            put_u32(&mut o, t.len() as u32);
            put_floats(&mut o, t, enc);
        }
        o
    }

    pub(super) fn decode(body: &[u8], base: usize) -> Result<Tables, Error> {
        let mut r = Reader::new(body, base);
        let enc = r.u8("threshold table encoding")?;
        let size = if enc == F32 { 4 } else { 8 };
        let index_width = r.u8("threshold index width")? as usize;
        let n = r.count(8, "threshold tables")?;
        let mut tables: Vec<(u32, Vec<f64>)> = Vec::with_capacity(n);
        for _ in 0..n {
            let f = r.u32("threshold table feature")?;
            let k = r.count(size, "threshold table")?;
            if tables.last().is_some_and(|(g, _)| *g >= f) {
                return Err(bad("threshold tables out of order"));
            }
            tables.push((f, r.floats(k, enc, "threshold table")?));
        }
        if !matches!(index_width, 1 | 2) || r.remaining() != 0 {
            return Err(bad("malformed threshold tables"));
        }
        Ok(Tables {
            tables,
            index_width,
        })
    }
}

fn put_thresholds(o: &mut Vec<u8>, e: &Ensemble, tables: Option<&Tables>) {
    let Some(tables) = tables else {
        return put_plain(o, &e.threshold);
    };
    o.push(TABLES);
    for (&f, &t) in e.feature.iter().zip(&e.threshold) {
        let i = tables
            .get(f)
            .and_then(|tb| tb.binary_search_by(|x| x.total_cmp(&t)).ok())
            .unwrap_or(0);
        o.extend_from_slice(&(i as u16).to_le_bytes()[..tables.index_width]);
    }
}

/// The pre-order bits of every tree, when its nodes are numbered in the order a
/// pre-order walk visits them; `None` otherwise.
fn pre_order_bits(e: &Ensemble) -> Option<Vec<bool>> {
    let mut bits = Vec::with_capacity(e.n_nodes() + e.n_leaves());
    for t in 0..e.n_trees() {
        let n0 = e.node_offsets[t] as usize;
        let (mut next_node, mut next_leaf) = (0i32, 0i32);
        let mut stack = vec![if e.node_offsets[t + 1] as usize > n0 {
            0
        } else {
            -1
        }];
        while let Some(c) = stack.pop() {
            if c >= 0 {
                if c != next_node {
                    return None;
                }
                next_node += 1;
                bits.push(true);
                stack.push(e.right[n0 + c as usize]);
                stack.push(e.left[n0 + c as usize]);
            } else {
                if !c != next_leaf {
                    return None;
                }
                next_leaf += 1;
                bits.push(false);
            }
        }
    }
    Some(bits)
}

fn put_structure(o: &mut Vec<u8>, e: &Ensemble) {
    if let Some(bits) = pre_order_bits(e) {
        o.push(PRE_ORDER);
        put_bits(o, bits.into_iter());
    } else {
        o.push(EXPLICIT);
        let w = signed_width(e.left.iter().chain(&e.right).copied());
        o.push(w);
        put_ints(o, w, e.left.iter().chain(&e.right).copied());
    }
}

/// Node covers recomputed from leaf covers, as the decoder does.
fn summed_covers(e: &Ensemble, leaf_cover: &[f64]) -> Vec<f64> {
    let mut node = vec![0.0; e.n_nodes()];
    for t in 0..e.n_trees() {
        let (n0, n1) = (e.node_offsets[t] as usize, e.node_offsets[t + 1] as usize);
        let l0 = e.leaf_offsets[t] as usize;
        let cover = |node: &[f64], c: i32| {
            if c >= 0 {
                node[n0 + c as usize]
            } else {
                leaf_cover[l0 + !c as usize]
            }
        };
        // Children before parents: a post-order walk from the root.
        let mut stack: Vec<(usize, bool)> = if n1 > n0 { vec![(0, false)] } else { vec![] };
        while let Some((i, done)) = stack.pop() {
            if done {
                node[n0 + i] = cover(&node, e.left[n0 + i]) + cover(&node, e.right[n0 + i]);
            } else {
                stack.push((i, true));
                for c in [e.left[n0 + i], e.right[n0 + i]] {
                    if c >= 0 {
                        stack.push((c as usize, false));
                    }
                }
            }
        }
    }
    node
}

/// Counts below 2^53 are exact in an f64 (whether their sums are is checked by decoding).
const MAX_COUNT: f64 = 9_007_199_254_740_992.0;

fn put_covers(o: &mut Vec<u8>, e: &Ensemble) {
    let counts = e.leaf_cover.iter().all(|&c| {
        (0.0..MAX_COUNT).contains(&c)
            && (c as u64) as f64 == c
            && c.to_bits() != (-0.0f64).to_bits()
    });
    if counts
        && summed_covers(e, &e.leaf_cover)
            .iter()
            .zip(&e.node_cover)
            .all(|(a, b)| a.to_bits() == b.to_bits())
    {
        o.push(COUNTS);
        for &c in &e.leaf_cover {
            let mut v = c as u64;
            loop {
                let b = (v & 0x7F) as u8;
                v >>= 7;
                if v == 0 {
                    o.push(b);
                    break;
                }
                o.push(b | 0x80);
            }
        }
    } else {
        let covers: Vec<f64> = e.node_cover.iter().chain(&e.leaf_cover).copied().collect();
        put_plain(o, &covers);
    }
}

/// `2^e` for the exponents a grid may use (normal doubles only).
fn pow2(e: i32) -> Option<f64> {
    (-1022..=1023)
        .contains(&e)
        .then(|| f64::from_bits(((e + 1023) as u64) << 52))
}

/// The exponent of a nonzero normal double's lowest set bit.
fn lowest_bit(v: f64) -> Option<i32> {
    let bits = v.to_bits();
    let exp = ((bits >> 52) & 0x7FF) as i32;
    if exp == 0 || exp == 0x7FF {
        return None;
    }
    let mantissa = (bits & ((1 << 52) - 1)) | (1 << 52);
    Some(exp - 1075 + mantissa.trailing_zeros() as i32)
}

/// Each tree's leaves as `k · 2^e` with `|k|` of at most `width` bytes, when they all are.
fn grid(e: &Ensemble) -> Option<(u8, Vec<i16>, Vec<i32>)> {
    let mut exps = Vec::with_capacity(e.n_trees());
    let mut ks = Vec::with_capacity(e.n_leaves());
    for t in 0..e.n_trees() {
        let leaves = &e.leaf_value[e.leaf_offsets[t] as usize..e.leaf_offsets[t + 1] as usize];
        let mut lowest = i32::MAX;
        for &v in leaves {
            if v.to_bits() == 0 {
                continue;
            }
            lowest = lowest.min(lowest_bit(v)?);
        }
        let ex = if lowest == i32::MAX { 0 } else { lowest };
        let step = pow2(ex)?;
        for &v in leaves {
            let k = v / step;
            if k.abs() > i16::MAX as f64 || (k * step).to_bits() != v.to_bits() {
                return None;
            }
            ks.push(k as i32);
        }
        exps.push(i16::try_from(ex).ok()?);
    }
    let w = signed_width(ks.iter().copied());
    (w <= 2).then_some((w, exps, ks))
}

fn put_leaves(o: &mut Vec<u8>, e: &Ensemble) {
    match grid(e) {
        Some((w, exps, ks)) => {
            o.push(GRID);
            o.push(w);
            for x in exps {
                o.extend_from_slice(&x.to_le_bytes());
            }
            put_ints(o, w, ks.into_iter());
        }
        None => put_plain(o, &e.leaf_value),
    }
}

// ---------------------------------------------------------------------------------------
// Decoding (kept small: it is in every wasm module of the npm package)

fn bad(why: &str) -> Error {
    Error::Malformed(format!("tree section: {why}"))
}

/// A tree section of format 3, or of format 2 (`v2`: counts, then the three float
/// encodings, then every array plain: features u32, thresholds, directions, left and
/// right i32, node covers, leaves, leaf covers).
pub(super) fn decode(
    body: &[u8],
    base: usize,
    h: &HeadMeta,
    tables: Option<&Tables>,
    v2: bool,
) -> Result<Ensemble, Error> {
    let mut r = Reader::new(body, base);
    let n_trees = r.u32("tree count")? as usize;
    let n_nodes = r.u32("node count")? as usize;
    let n_leaves = r.u32("leaf count")? as usize;
    let [te, le, ce, _] = if v2 {
        r.array::<4>("float encodings")?
    } else {
        [0; 4]
    };
    let offsets = n_trees.checked_add(1).ok_or_else(|| bad("tree count"))?;
    let node_offsets = r.u32s(offsets, "node offsets")?;
    let leaf_offsets = r.u32s(offsets, "leaf offsets")?;
    let width = |r: &mut Reader, fixed: u8| if v2 { Ok(fixed) } else { r.u8("width") };
    let w = width(&mut r, 4)?;
    let feature: Vec<u32> = ints(&mut r, w, n_nodes, "split features")?
        .into_iter()
        .map(|x| unsigned(x, w))
        .collect();
    let enc = if v2 { te } else { r.u8("threshold encoding")? };
    let threshold = if enc == TABLES && !v2 {
        let tables = tables.ok_or_else(|| bad("threshold tables missing"))?;
        let w = tables.index_width as u8;
        let idx = ints(&mut r, w, n_nodes, "threshold indices")?;
        let mut threshold = Vec::with_capacity(n_nodes);
        for (&f, i) in feature.iter().zip(idx) {
            let t = tables.get(f).and_then(|t| t.get(unsigned(i, w) as usize));
            threshold.push(*t.ok_or_else(|| bad("a threshold index outside its table"))?);
        }
        threshold
    } else {
        r.floats(n_nodes, enc, "thresholds")?
    };
    let default_left = bits(&mut r, n_nodes, "default directions")?;
    let structure = if v2 { EXPLICIT } else { r.u8("structure")? };
    let (left, right) = match structure {
        EXPLICIT => {
            let w = width(&mut r, 4)?;
            let left = ints(&mut r, w, n_nodes, "left children")?;
            (left, ints(&mut r, w, n_nodes, "right children")?)
        }
        PRE_ORDER => {
            let order = bits(&mut r, n_nodes.saturating_add(n_leaves), "tree shapes")?;
            from_pre_order(&order, &node_offsets, &leaf_offsets, n_nodes)?
        }
        _ => {
            return Err(bad(
                "unknown structure encoding (written by a newer aqcast?)",
            ))
        }
    };
    // Format 2: node covers, leaves, leaf covers. Format 3: covers, then leaves.
    let covers = if v2 { ce } else { r.u8("cover encoding")? };
    let mut node_cover = Vec::new();
    let mut leaf_cover = Vec::new();
    if covers == COUNTS && !v2 {
        for _ in 0..n_leaves {
            leaf_cover.push(varint(&mut r)? as f64);
        }
    } else if v2 {
        node_cover = r.floats(n_nodes, ce, "node covers")?;
    } else {
        node_cover = r.floats(n_nodes, covers, "node covers")?;
        leaf_cover = r.floats(n_leaves, covers, "leaf covers")?;
    }
    let leaves = if v2 { le } else { r.u8("leaf encoding")? };
    let leaf_value = if leaves == GRID && !v2 {
        let w = r.u8("leaf width")?;
        let exps = ints(&mut r, 2, n_trees, "leaf exponents")?;
        let ks = ints(&mut r, if w <= 2 { w } else { 0 }, n_leaves, "leaf values")?;
        let mut values = Vec::with_capacity(n_leaves);
        for (t, ex) in exps.into_iter().enumerate() {
            let step = pow2(ex).ok_or_else(|| bad("leaf exponent out of range"))?;
            let range = leaf_offsets[t] as usize..leaf_offsets[t + 1] as usize;
            let ks = ks
                .get(range)
                .ok_or_else(|| bad("leaf offsets beyond the leaves"))?;
            values.extend(ks.iter().map(|&k| k as f64 * step));
        }
        values
    } else {
        r.floats(n_leaves, leaves, "leaf values")?
    };
    if v2 {
        leaf_cover = r.floats(n_leaves, ce, "leaf covers")?;
    }
    if r.remaining() != 0 {
        return Err(bad("unexpected trailing bytes"));
    }
    let mut e = Ensemble {
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
    };
    if covers == COUNTS && !v2 {
        // Checked first, so that summing walks only well-formed trees.
        e.node_cover = vec![0.0; n_nodes];
        e.validate()?;
        e.node_cover = summed_covers(&e, &e.leaf_cover);
    }
    Ok(e)
}

/// An integer `ints` read as signed, as the unsigned one of `w` bytes it was written as.
fn unsigned(x: i32, w: u8) -> u32 {
    (x as u32) & (u32::MAX >> (32 - 8 * w as u32))
}

/// `n` little-endian signed integers of `w` bytes (1, 2 or 4).
fn ints(r: &mut Reader, w: u8, n: usize, what: &'static str) -> Result<Vec<i32>, Error> {
    if !matches!(w, 1 | 2 | 4) {
        return Err(bad("unknown integer width (written by a newer aqcast?)"));
    }
    let s = r.items(n, w as usize, what)?;
    Ok(s.chunks_exact(w as usize)
        .map(|c| {
            let mut a = [0u8; 4];
            a[..c.len()].copy_from_slice(c);
            // Sign-extend from the top bit of the last byte.
            let shift = 32 - 8 * c.len() as u32;
            (i32::from_le_bytes(a) << shift) >> shift
        })
        .collect())
}

fn bits(r: &mut Reader, n: usize, what: &'static str) -> Result<Vec<bool>, Error> {
    let bytes = r.take(n.div_ceil(8), what)?;
    Ok((0..n).map(|i| bytes[i / 8] >> (i % 8) & 1 == 1).collect())
}

fn varint(r: &mut Reader) -> Result<u64, Error> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = r.u8("leaf cover")?;
        v |= ((b & 0x7F) as u64) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(bad("a leaf cover runs past 64 bits"))
}

/// Children arrays from the pre-order shape bits of every tree.
fn from_pre_order(
    order: &[bool],
    node_offsets: &[u32],
    leaf_offsets: &[u32],
    n_nodes: usize,
) -> Result<(Vec<i32>, Vec<i32>), Error> {
    let mut left = vec![0i32; n_nodes];
    let mut right = vec![0i32; n_nodes];
    let mut bits = order.iter();
    for (n, l) in node_offsets.windows(2).zip(leaf_offsets.windows(2)) {
        let n0 = n[0] as usize;
        let n_internal = (n[1] as usize).wrapping_sub(n0);
        let n_leaf = (l[1] as usize).wrapping_sub(l[0] as usize);
        if n0.saturating_add(n_internal) > n_nodes {
            return Err(bad("node offsets beyond the nodes"));
        }
        let (mut next_node, mut next_leaf) = (0usize, 0usize);
        // Internal nodes waiting for their left (false) or right (true) child.
        let mut stack: Vec<(usize, bool)> = Vec::new();
        loop {
            let internal = *bits.next().ok_or_else(|| bad("tree shapes cut short"))?;
            let id = if internal {
                next_node += 1;
                (next_node - 1) as i32
            } else {
                next_leaf += 1;
                !((next_leaf - 1) as i32)
            };
            if next_node > n_internal || next_leaf > n_leaf {
                return Err(bad("a tree's shape and its offsets disagree"));
            }
            if let Some((p, right_side)) = stack.pop() {
                let slot = if right_side { &mut right } else { &mut left };
                slot[n0 + p] = id;
                if !right_side {
                    stack.push((p, true));
                }
            }
            if internal {
                if stack.len() >= MAX_TREE_DEPTH {
                    return Err(bad("a tree deeper than aqcast allows"));
                }
                stack.push((id as usize, false));
            } else if stack.is_empty() {
                break;
            }
        }
        if next_node != n_internal || next_leaf != n_leaf {
            return Err(bad("a tree's shape and its offsets disagree"));
        }
    }
    if bits.next().is_some() {
        return Err(bad("unexpected extra shape bits"));
    }
    Ok((left, right))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aqcast_engine::ensemble::{Link, Precision};

    fn head(e: &Ensemble) -> HeadMeta {
        HeadMeta {
            target: "y".into(),
            horizon_hours: None,
            quantile: None,
            precision: e.precision,
            link: e.link,
            n_features: e.n_features,
            base_score: e.base_score,
            average: e.average,
        }
    }

    /// Two trees in pre-order numbering: a root splitting into a leaf and a node.
    fn stump_pair(leaves: [f64; 5], covers: [f64; 5]) -> Ensemble {
        Ensemble {
            n_features: 3,
            precision: Precision::F64,
            link: Link::Identity,
            base_score: 0.5,
            average: false,
            node_offsets: vec![0, 2, 3],
            leaf_offsets: vec![0, 3, 5],
            feature: vec![0, 2, 2],
            threshold: vec![0.1, 7.25, 7.25],
            default_left: vec![true, false, true],
            left: vec![-1, -2, -1],
            right: vec![1, -3, -2],
            node_cover: vec![
                covers[0] + covers[1] + covers[2],
                covers[1] + covers[2],
                covers[3] + covers[4],
            ],
            leaf_value: leaves.to_vec(),
            leaf_cover: covers.to_vec(),
        }
    }

    /// The tables (through their own encoding) and the tree section of `e`, decoded back.
    fn round_trip(e: &Ensemble) -> (Vec<u8>, Ensemble) {
        let tables = Tables::of(&[e]);
        let bytes = encode(e, tables.as_ref());
        let tables = tables.map(|t| {
            let b = t.encode();
            let back = Tables::decode(&b, 0).expect("tables decode");
            assert_eq!(back, t);
            back
        });
        let back = decode(&bytes, 0, &head(e), tables.as_ref(), false).expect("decodes");
        assert_eq!(&back, e);
        for (a, b) in back.leaf_value.iter().zip(&e.leaf_value) {
            assert_eq!(a.to_bits(), b.to_bits());
        }
        (bytes, back)
    }

    #[test]
    fn compact_forms_are_chosen_and_give_back_the_same_bits() {
        let e = stump_pair(
            [0.25, -0.5, 0.75, 1.5, -0.0625],
            [10.0, 4.0, 6.0, 3.0, 17.0],
        );
        round_trip(&e);
        // Where every compact form applies (grid leaves, counted covers, pre-order shapes,
        // threshold tables, one-byte features), the section is a fraction of format 2's.
        let e = with_tables();
        let (bytes, _) = round_trip(&e);
        let plain = super::super::codec::encode_v2_trees(&e);
        assert!(
            bytes.len() * 2 < plain.len(),
            "{} vs {}",
            bytes.len(),
            plain.len()
        );
    }

    #[test]
    fn what_no_compact_form_holds_is_kept_plain_and_exact() {
        // Leaves of no common grid, fractional covers, a leaf of -0.0, children not in
        // pre-order.
        let mut e = stump_pair([0.1, -0.0, 1e-310, 3.0, 2.0], [0.5, 1.25, 2.0, 3.0, 1.0]);
        e.node_cover[0] = 99.0;
        let (bytes, _) = round_trip(&e);
        assert!(bytes.len() > 100);
        let mut swapped = stump_pair([1.0; 5], [1.0; 5]);
        swapped.left[0] = 1;
        swapped.right[0] = -1;
        round_trip(&swapped);
    }

    /// A random ensemble in pre-order numbering; `shape` picks what its values are like.
    fn random(seed: u64, shape: u8) -> Ensemble {
        let mut x = seed | 1;
        let mut next = move |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let n_features = 1 + next(if shape == 0 { 8 } else { 300 }) as u32;
        let mut e = Ensemble::empty(n_features, Precision::F64, Link::Identity, 0.5, false);
        for _ in 0..1 + next(6) {
            let n0 = e.feature.len();
            // Grow by splitting random leaves, then renumber in pre-order.
            let leaves = 1 + next(40) as usize;
            let mut kids: Vec<Option<(usize, usize)>> = vec![None];
            while kids.len() < 2 * leaves - 1 {
                let open: Vec<usize> = (0..kids.len()).filter(|&i| kids[i].is_none()).collect();
                let at = open[next(open.len() as u64) as usize];
                let k = kids.len();
                kids.push(None);
                kids.push(None);
                kids[at] = Some((k, k + 1));
            }
            let (mut nodes, mut lvs) = (0i32, 0i32);
            let mut ids = vec![0i32; kids.len()];
            let mut stack = vec![0usize];
            while let Some(i) = stack.pop() {
                if let Some((l, r)) = kids[i] {
                    ids[i] = nodes;
                    nodes += 1;
                    stack.push(r);
                    stack.push(l);
                } else {
                    ids[i] = !lvs;
                    lvs += 1;
                }
            }
            let mut order: Vec<usize> = (0..kids.len()).filter(|&i| kids[i].is_some()).collect();
            order.sort_by_key(|&i| ids[i]);
            for &i in &order {
                let (l, r) = kids[i].unwrap_or((0, 0));
                e.feature.push(next(e.n_features as u64) as u32);
                e.threshold.push(match shape {
                    0 => (next(10) as f64 - 5.0) / 7.0,
                    _ => next(1000) as f64 / 7.0,
                });
                e.default_left.push(next(2) == 0);
                let (l, r) = if shape == 2 && next(3) == 0 {
                    (ids[r], ids[l])
                } else {
                    (ids[l], ids[r])
                };
                e.left.push(l);
                e.right.push(r);
            }
            let exponent = -(next(40) as i32);
            for _ in 0..lvs {
                e.leaf_value.push(match shape {
                    0 => (next(60000) as f64 - 30000.0) * 2f64.powi(exponent),
                    1 => (next(2001) as f64 - 1000.0) / 37.0,
                    _ => [0.0, -0.0, 1e-310, 2.5][next(4) as usize],
                });
                e.leaf_cover.push(match shape {
                    1 => next(100) as f64 / 3.0,
                    _ => next(100_000) as f64,
                });
            }
            e.node_offsets.push(e.feature.len() as u32);
            e.leaf_offsets.push(e.leaf_value.len() as u32);
            let covers = summed_covers(&e, &e.leaf_cover);
            e.node_cover.resize(e.feature.len(), 0.0);
            e.node_cover[n0..].copy_from_slice(&covers[n0..]);
        }
        e
    }

    /// A random ensemble whose thresholds go in tables.
    fn with_tables() -> Ensemble {
        (1..100)
            .map(|seed| random(seed, 0))
            .find(|e| Tables::of(&[e]).is_some())
            .expect("some seed's thresholds are worth tables")
    }

    proptest::proptest! {
        #[test]
        fn every_ensemble_round_trips_bit_for_bit(seed in 0u64.., shape in 0u8..3) {
            let e = random(seed, shape);
            e.validate().expect("a valid ensemble");
            round_trip(&e);
        }
    }

    #[test]
    fn damaged_shapes_are_errors() {
        let e = with_tables();
        let tables = Tables::of(&[&e]);
        assert!(tables.is_some());
        let bytes = encode(&e, tables.as_ref());
        let h = head(&e);
        let tables = tables.as_ref();
        for i in 0..bytes.len() {
            for flip in [1u8, 0x80, 0xFF] {
                let mut b = bytes.clone();
                b[i] ^= flip;
                if let Ok(m) = decode(&b, 0, &h, tables, false) {
                    // Whatever decodes must be a model the engine can run safely.
                    let _ = m.validate();
                }
            }
        }
        for n in 0..bytes.len() {
            assert!(
                decode(&bytes[..n], 0, &h, tables, false).is_err(),
                "cut at {n}"
            );
        }
        // Indices into tables that are not there.
        assert!(decode(&bytes, 0, &h, None, false).is_err());
        let t = Tables::of(&[&e]).expect("tables").encode();
        for n in 0..t.len() {
            assert!(Tables::decode(&t[..n], 0).is_err(), "tables cut at {n}");
        }
    }
}
