//! Publishing a model version: upload its artifact and reports under its hash, read each
//! object back and check the hash, and only then register it. A publication that fails
//! half way leaves the registry as it was (objects without a registry entry are inert, and
//! the next publication of the same bytes reuses them).

use std::collections::BTreeMap;

use aqcast_core::published::{self, layout, Metrics, Provenance, Stage, Version};
use aqcast_core::Model;

use crate::error::Error;
use crate::objects::Objects;
use crate::registry;

/// What to publish.
#[derive(Debug)]
pub struct Upload {
    /// The model name (its registry key).
    pub name: String,
    /// The artifact's bytes.
    pub model: Vec<u8>,
    /// The training report (JSON), if there is one.
    pub report_json: Option<Vec<u8>>,
    /// The training report (HTML), if there is one.
    pub report_html: Option<Vec<u8>>,
    /// The stage a new version enters.
    pub stage: Stage,
}

/// What a publication did.
#[derive(Debug)]
pub struct Published {
    /// The version's record, as registered.
    pub version: Version,
    /// False when the registry already had this artifact (nothing new was registered).
    pub new: bool,
}

/// Publishes a model version (see the module's documentation).
///
/// A version is immutable: publishing bytes the registry already holds registers nothing
/// and changes nothing (the reports published with them stay); a damaged artifact or
/// report of it is repaired from bytes that match the registry's hash. A name holds one kind of
/// model for one target: a forecasting model of NO2 is not followed by a predict-only
/// model, or by one of PM10, under the same name (what serves the name would change
/// meaning without a word).
pub fn publish(objects: &Objects, upload: Upload) -> Result<Published, Error> {
    published::check_name(&upload.name).map_err(|e| Error::Registry(e.to_string()))?;
    if upload.stage == Stage::Archived {
        return Err(Error::Registry(
            "a new version cannot enter stage archived: publish it to dev, staging or \
             production"
                .into(),
        ));
    }
    let model = Model::decode(&upload.model)
        .map_err(|e| Error::Registry(format!("refusing to publish: {e}")))?;
    let sha = published::sha256_hex(&upload.model);
    let name = upload.name.as_str();
    let mut version = record(&model, name, &sha, upload.model.len() as u64, upload.stage);
    if let Some((doc, _)) = registry::load(objects, name)? {
        if let Some(v) = doc.by_sha(&sha) {
            // Registered already: its objects are checked and, where damaged, repaired
            // from these bytes (the artifact; a report only when these are the bytes the
            // registry lists for it). Nothing else changes.
            put_verified(objects, &v.model, upload.model)?;
            let reports = [
                (&v.report, upload.report_json),
                (&v.report_html, upload.report_html),
            ];
            for (key, bytes) in reports {
                if let (Some(key), Some(bytes)) = (key, bytes) {
                    if v.hashes.get(key) == Some(&published::sha256_hex(&bytes)) {
                        put_verified(objects, key, bytes)?;
                    }
                }
            }
            return Ok(Published {
                version: v.clone(),
                new: false,
            });
        }
        same_family(&doc, &version)?;
    }
    put_verified(objects, &layout::model(name, &sha), upload.model)?;
    if let Some(bytes) = upload.report_json {
        let key = layout::report_json(name, &sha);
        version
            .hashes
            .insert(key.clone(), published::sha256_hex(&bytes));
        put_verified(objects, &key, bytes)?;
        version.report = Some(key);
    }
    if let Some(bytes) = upload.report_html {
        let key = layout::report_html(name, &sha);
        version
            .hashes
            .insert(key.clone(), published::sha256_hex(&bytes));
        put_verified(objects, &key, bytes)?;
        version.report_html = Some(key);
    }
    let mut new = false;
    let n = registry::update(objects, name, |doc| {
        new = doc.by_sha(&sha).is_none();
        Ok(doc.add(version.clone(), &registry::now()))
    })?;
    let doc = registry::get(objects, name)?;
    let version = doc.version(n).cloned().ok_or_else(|| Error::Corrupt {
        location: objects.location().to_string(),
        key: layout::registry(name),
        message: format!("version {n} vanished right after it was registered"),
    })?;
    Ok(Published { version, new })
}

/// Refuses a version whose kind or target differs from the versions the name holds.
fn same_family(doc: &published::Registry, new: &Version) -> Result<(), Error> {
    let Some(last) = doc.latest(None) else {
        return Ok(());
    };
    let what = |v: &Version| match &v.target {
        Some(t) => format!("a {} model of {t}", v.kind),
        None => format!("a {} model", v.kind),
    };
    let target_differs = matches!((&last.target, &new.target), (Some(a), Some(b)) if a != b);
    if last.kind != new.kind || target_differs {
        return Err(Error::Registry(format!(
            "{:?} holds {} (v{}); this is {}: publish it under another name",
            doc.name,
            what(last),
            last.version,
            what(new)
        )));
    }
    Ok(())
}

/// Writes an object whose content names it (so an existing object is reused when its
/// hash is right, and replaced when it is not), then reads it back and checks its hash.
fn put_verified(objects: &Objects, key: &str, bytes: Vec<u8>) -> Result<(), Error> {
    let sha = published::sha256_hex(&bytes);
    if !objects.create(key, bytes.clone())? {
        let existing = objects.get(key)?.map(|f| f.bytes);
        if existing.is_some_and(|b| published::sha256_hex(&b) == sha) {
            return Ok(());
        }
        tracing::warn!("{}: held other bytes; replacing them", objects.url_of(key));
        objects.put(key, bytes)?;
    }
    registry::fetch_verified(objects, key, &sha).map(|_| ())
}

/// The registry record of a model: kind, stations, metrics and provenance from its
/// metadata (which travels inside the hashed artifact).
fn record(model: &Model, name: &str, sha: &str, bytes: u64, stage: Stage) -> Version {
    let md = &model.metadata;
    let stations = match &model.forecast {
        Some(spec) if !spec.stations.is_empty() => {
            spec.stations.iter().map(|s| s.id.clone()).collect()
        }
        _ => md.params.get("site").cloned().into_iter().collect(),
    };
    let mut params = md.params.clone();
    let task = params.remove("task");
    let task_sha256 = params.remove("task_sha256");
    let published_by = registry::actor();
    let now = registry::now();
    Version {
        version: 0,
        sha256: sha.to_string(),
        bytes,
        model: layout::model(name, sha),
        report: None,
        report_html: None,
        hashes: BTreeMap::new(),
        stage,
        tags: Vec::new(),
        kind: if model.forecast.is_some() {
            "forecast".into()
        } else {
            "predict".into()
        },
        target: match &model.forecast {
            Some(spec) => Some(spec.pollutant.id().to_string()),
            None => model.heads.first().map(|h| h.target.clone()),
        },
        stations,
        metrics: Metrics::of(&md.test_scores()),
        provenance: Provenance {
            source: md.source.clone(),
            trained: md.created.clone(),
            task,
            task_sha256,
            data: md.data.iter().map(published::DataFile::from).collect(),
            params,
            published_by: published_by.clone(),
            published: now.clone(),
        },
        history: vec![published::StageChange {
            stage,
            at: now,
            by: published_by,
            note: Some("published".into()),
        }],
    }
}

#[cfg(test)]
mod tests {
    use aqcast_core::published::Metrics;
    use aqcast_core::Metadata;
    use std::collections::BTreeMap;

    #[test]
    fn metrics_per_step_and_their_means_leave_out_what_is_not_a_number() {
        // A model trained before scores were typed: `step<N>.`/`h<N>.` metrics.
        let m: BTreeMap<String, f64> = [
            ("step1.rmse", 2.0),
            ("step1.skill", 0.5),
            ("step2.rmse", 4.0),
            ("step2.skill", f64::NAN),
            ("step3.rmse", f64::INFINITY),
            ("h24.q0.9.rmse", 9.0),
            ("h24.rmse", 6.0),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let legacy = Metadata {
            metrics: m,
            ..Metadata::default()
        };
        let out = Metrics::of(&legacy.test_scores());
        let steps: Vec<u32> = out.per_step.iter().map(|s| s.step).collect();
        assert_eq!(
            steps,
            vec![1, 2, 24],
            "step 3 has no finite RMSE; quantile heads are not steps"
        );
        assert_eq!(out.per_step[1].skill, None);
        assert_eq!(out.summary["rmse"], 4.0);
        assert_eq!(out.summary["skill"], 0.5);
        // Typed scores read the same way.
        let typed = Metadata {
            scores: out.per_step.clone(),
            ..Metadata::default()
        };
        assert_eq!(Metrics::of(&typed.test_scores()), out);
        // What the registry document holds reads back as it was.
        let json = serde_json::to_string(&out).unwrap();
        let back: Metrics = serde_json::from_str(&json).unwrap();
        assert_eq!(back, out);
    }
}
