//! How far each stream of a source has been taken: `sources/<source>.json` in the data
//! store, one time per stream (an OpenAQ sensor, a UK-AIR timeseries, an EEA sampling
//! point, AirNow's hourly files), changed only by compare-and-swap and only forward (the
//! larger of what is there and what is set). A stream's mark moves after the page that
//! takes it there is in the store, never before: a run killed in between fetches that page
//! again, and the store takes it once.

use std::collections::BTreeMap;
use std::path::Path;

use aqcast_store::Objects;
use serde::{Deserialize, Serialize};

use crate::Error;

/// The watermarks document of one source.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// The document's format (1).
    pub format: u32,
    /// The source (`openaq`, `airnow`, `eea`, `ukair`).
    pub source: String,
    /// Per stream, the start of the latest averaging period taken (Unix seconds, UTC).
    pub streams: BTreeMap<String, i64>,
}

/// The format this build writes and reads.
pub const FORMAT: u32 = 1;

/// The watermarks of one source in one data store.
pub struct Marks {
    objects: Objects,
    key: String,
    source: String,
    doc: Document,
}

impl Marks {
    /// The marks of `source` in the data store at `root`.
    pub fn open(root: &Path, source: &str) -> Result<Marks, Error> {
        let objects = Objects::open(&root.display().to_string())?;
        let key = format!("sources/{source}.json");
        let mut marks = Marks {
            objects,
            key,
            source: source.to_string(),
            doc: Document::default(),
        };
        marks.doc = match marks.objects.get(&marks.key)? {
            Some(f) => marks.parse(&f.bytes)?,
            None => marks.empty(),
        };
        Ok(marks)
    }

    fn empty(&self) -> Document {
        Document {
            format: FORMAT,
            source: self.source.clone(),
            streams: BTreeMap::new(),
        }
    }

    fn parse(&self, bytes: &[u8]) -> Result<Document, Error> {
        let doc: Document = serde_json::from_slice(bytes).map_err(|e| {
            Error::Setting(format!(
                "{}: the watermarks are damaged ({e}); delete the file to fetch everything again (the store takes nothing twice)",
                self.key
            ))
        })?;
        if doc.format > FORMAT {
            return Err(Error::Setting(format!(
                "{}: format {} is newer than this aqcast reads ({FORMAT}); upgrade aqcast",
                self.key, doc.format
            )));
        }
        Ok(doc)
    }

    /// The mark of `stream`: the start of the latest period taken.
    pub fn get(&self, stream: &str) -> Option<i64> {
        self.doc.streams.get(stream).copied()
    }

    /// Every mark.
    pub fn all(&self) -> &BTreeMap<String, i64> {
        &self.doc.streams
    }

    /// Moves `stream`'s mark to `to`, if that is later than where it stands (in the store,
    /// by compare-and-swap: a concurrent writer's marks are kept).
    pub fn advance(&mut self, stream: &str, to: i64) -> Result<(), Error> {
        let doc = self.objects.update(&self.key, |current| {
            let mut doc = match current {
                Some(b) => self.parse(b).map_err(|e| aqcast_store::Error::Corrupt {
                    location: "data store".into(),
                    key: self.key.clone(),
                    message: e.to_string(),
                })?,
                None => self.empty(),
            };
            if doc.streams.get(stream).is_some_and(|&m| m >= to) {
                return Ok((None, doc));
            }
            doc.streams.insert(stream.to_string(), to);
            let bytes = serde_json::to_vec_pretty(&doc).unwrap_or_default();
            Ok((Some(bytes), doc))
        })?;
        self.doc = doc;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_only_move_forward_and_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = Marks::open(dir.path(), "openaq").unwrap();
        assert_eq!(m.get("sensor:1"), None);
        m.advance("sensor:1", 100).unwrap();
        m.advance("sensor:1", 50).unwrap();
        m.advance("sensor:2", 7).unwrap();
        assert_eq!(m.get("sensor:1"), Some(100));
        let again = Marks::open(dir.path(), "openaq").unwrap();
        assert_eq!(again.get("sensor:1"), Some(100));
        assert_eq!(again.get("sensor:2"), Some(7));
        // Another writer's mark, made meanwhile, is kept.
        let mut other = Marks::open(dir.path(), "openaq").unwrap();
        other.advance("sensor:3", 9).unwrap();
        m.advance("sensor:1", 200).unwrap();
        let last = Marks::open(dir.path(), "openaq").unwrap();
        assert_eq!(last.get("sensor:3"), Some(9));
        assert_eq!(last.get("sensor:1"), Some(200));
    }

    #[test]
    fn a_damaged_document_is_an_error_that_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("sources")).unwrap();
        std::fs::write(dir.path().join("sources/airnow.json"), "{ nope").unwrap();
        let e = Marks::open(dir.path(), "airnow").err().unwrap();
        assert!(e.to_string().contains("delete the file"), "{e}");
    }
}
