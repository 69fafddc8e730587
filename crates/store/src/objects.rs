//! `Objects`: the one way aqcast reads and writes object storage, over the `object_store`
//! crate, with a blocking API (the trainer has no other use for an async runtime: a
//! current-thread tokio runtime lives inside and only here).
//!
//! A location is a local folder (a path or `file://` URL; `./aqcast-store` by default:
//! nothing to start) or `s3://bucket[/prefix]`, configured by the usual AWS environment
//! variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`,
//! `AWS_ENDPOINT_URL` for R2, MinIO or any S3-compatible server), which covers AWS S3,
//! Cloudflare R2 and MinIO.
//!
//! Conditional writes are what make the registry safe with many writers: [`Objects::create`]
//! (`PutMode::Create`, `If-None-Match: *`) and [`Objects::replace`] (`PutMode::Update`,
//! `If-Match: <etag>`). `object_store`'s local folder implements the first but not the
//! second, so for a local folder `replace` holds an exclusive lock on
//! `<root>/.locks/<key>` while it compares the ETag and renames the new file into place:
//! every aqcast writer takes that lock, so the compare and the swap are one step.

use std::fs::{self, File};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{
    BackoffConfig, ClientOptions, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload,
    RetryConfig, UpdateVersion,
};

use crate::error::Error;

/// Attempts of one compare-and-swap ([`Objects::update`]) before giving up.
pub const CAS_ATTEMPTS: u32 = 200;

/// An `AWS_*` setting from the environment; an empty one is unset (as the AWS tools read
/// it: a CI secret that is not defined expands to an empty string).
fn env_setting(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// `AmazonS3Builder::from_env`, but an empty variable is unset rather than a value.
fn s3_builder_from_env() -> AmazonS3Builder {
    let mut builder = AmazonS3Builder::new();
    for (key, value) in std::env::vars_os() {
        let (Some(key), Some(value)) = (key.to_str(), value.to_str()) else {
            continue;
        };
        if !key.starts_with("AWS_") || value.trim().is_empty() {
            continue;
        }
        if let Ok(config) = key.to_ascii_lowercase().parse() {
            builder = builder.with_config(config, value);
        }
    }
    builder
}

/// Whether the environment names a source of S3 credentials: keys, a web identity, a
/// container's credentials endpoint. Without one, the client asks the instance metadata
/// service; a failure there then means "no credentials", not an outage.
fn credentials_configured() -> bool {
    [
        "AWS_ACCESS_KEY_ID",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ]
    .iter()
    .any(|k| env_setting(k).is_some())
}

/// An S3 endpoint must be an absolute `http://` or `https://` URL with a host: anything
/// else is refused here, naming the setting, rather than failing deep in request signing.
fn check_endpoint(endpoint: &str) -> Result<(), Error> {
    let refuse = |why: &str| {
        Err(Error::Location(format!(
            "S3 endpoint {endpoint:?} (AWS_ENDPOINT_URL): {why}; give a URL such as \
             http://127.0.0.1:9000 or https://ACCOUNT.r2.cloudflarestorage.com"
        )))
    };
    match url::Url::parse(endpoint) {
        Ok(url) if !matches!(url.scheme(), "http" | "https") => {
            refuse("the scheme must be http or https")
        }
        Ok(url) if url.host_str().is_none_or(str::is_empty) => refuse("it names no host"),
        Ok(_) => Ok(()),
        Err(e) => refuse(&e.to_string()),
    }
}

/// An object fetched with its ETag.
#[derive(Debug)]
pub struct Fetched {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Its ETag (what [`Objects::replace`] compares).
    pub etag: Option<String>,
}

/// A store of objects: a local folder or an S3-compatible bucket.
pub struct Objects {
    store: Arc<dyn ObjectStore>,
    prefix: Option<Path>,
    /// The local folder, when the store is one.
    local: Option<PathBuf>,
    location: String,
    rt: tokio::runtime::Runtime,
}

impl std::fmt::Debug for Objects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Objects")
            .field("location", &self.location)
            .finish()
    }
}

impl Objects {
    /// Opens the store at `location` (a folder is created if missing).
    pub fn open(location: &str) -> Result<Objects, Error> {
        Objects::open_with(location, &[])
    }

    /// Opens the store at `location` for commands that only use what is there: a local
    /// folder must exist (a mistyped path is an error, not a new empty store).
    pub fn open_existing(location: &str) -> Result<Objects, Error> {
        if !location.starts_with("s3://") {
            let root = std::path::Path::new(location.strip_prefix("file://").unwrap_or(location));
            if !root.is_dir() {
                return Err(Error::Location(format!(
                    "no store at {} (publish a model into it first, or give --store)",
                    root.display()
                )));
            }
        }
        Objects::open(location)
    }

    /// Opens the store at `location` with S3 settings given here rather than by the
    /// environment (`object_store`'s names: `aws_endpoint_url`, `aws_access_key_id`,
    /// `aws_secret_access_key`, `aws_region`); they take precedence over it.
    pub fn open_with(location: &str, s3: &[(&str, &str)]) -> Result<Objects, Error> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .enable_io()
            .build()
            .map_err(|e| Error::Location(format!("cannot start the storage client: {e}")))?;
        if let Some(rest) = location.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.len() < 3 {
                return Err(Error::Location(format!(
                    "{location}: an S3 bucket name has at least 3 characters (s3://bucket/prefix)"
                )));
            }
            let mut builder = s3_builder_from_env().with_bucket_name(bucket);
            let given = |k: &str| s3.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string());
            for (k, v) in s3 {
                let key = k
                    .parse()
                    .map_err(|e| Error::Location(format!("S3 setting {k}: {e}")))?;
                builder = builder.with_config(key, *v);
            }
            // Every spelling object_store reads is checked, whichever it ends up using.
            let endpoints: Vec<String> = [
                "aws_endpoint_url_s3",
                "aws_endpoint_url",
                "aws_endpoint",
                "endpoint",
            ]
            .iter()
            .filter_map(|k| given(k))
            .chain(
                ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_ENDPOINT"]
                    .iter()
                    .filter_map(|k| env_setting(k)),
            )
            .collect();
            for endpoint in &endpoints {
                check_endpoint(endpoint)?;
            }
            let insecure = endpoints.iter().any(|e| {
                e.get(..7)
                    .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
            });
            if given("aws_region").is_none()
                && env_setting("AWS_REGION").is_none()
                && env_setting("AWS_DEFAULT_REGION").is_none()
            {
                // R2 and MinIO accept any region; AWS needs the bucket's, from the environment.
                builder = builder.with_region("us-east-1");
            }
            let client = ClientOptions::new()
                .with_allow_http(insecure)
                .with_connect_timeout(Duration::from_secs(5))
                .with_timeout(Duration::from_secs(60));
            let retries = RetryConfig {
                backoff: BackoffConfig::default(),
                max_retries: 3,
                retry_timeout: Duration::from_secs(20),
            };
            let store = builder
                .with_client_options(client)
                .with_retry(retries)
                .build()
                .map_err(|e| Error::Location(format!("{location}: {e}")))?;
            let prefix = prefix.trim_matches('/');
            let prefix = if prefix.is_empty() {
                None
            } else {
                Some(Path::parse(prefix).map_err(|e| Error::Location(format!("{location}: {e}")))?)
            };
            return Ok(Objects {
                store: Arc::new(store),
                prefix,
                local: None,
                location: location.to_string(),
                rt,
            });
        }
        if location.contains("://") && !location.starts_with("file://") {
            return Err(Error::Location(format!(
                "{location}: aqcast stores objects in a local folder (a path or file://) or an \
                 S3-compatible bucket (s3://bucket/prefix); this scheme is neither"
            )));
        }
        let root = PathBuf::from(location.strip_prefix("file://").unwrap_or(location));
        fs::create_dir_all(&root).map_err(|e| Error::Storage {
            location: location.to_string(),
            key: String::new(),
            message: format!("cannot create the folder: {e}"),
        })?;
        let root = fs::canonicalize(&root).map_err(|e| Error::Storage {
            location: location.to_string(),
            key: String::new(),
            message: e.to_string(),
        })?;
        let store = LocalFileSystem::new_with_prefix(&root)
            .map_err(|e| Error::Location(format!("{location}: {e}")))?
            .with_fsync(true);
        Ok(Objects {
            store: Arc::new(store),
            prefix: None,
            local: Some(root),
            location: location.to_string(),
            rt,
        })
    }

    /// The location as given.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The local folder, when the store is one.
    pub fn local_root(&self) -> Option<&std::path::Path> {
        self.local.as_deref()
    }

    /// Where a key is, for messages: a file path or a URL.
    pub fn url_of(&self, key: &str) -> String {
        match &self.local {
            Some(root) => root.join(key).display().to_string(),
            None => format!("{}/{key}", self.location.trim_end_matches('/')),
        }
    }

    fn path(&self, key: &str) -> Result<Path, Error> {
        let full = match &self.prefix {
            Some(p) => format!("{p}/{key}"),
            None => key.to_string(),
        };
        Path::parse(&full).map_err(|e| Error::Storage {
            location: self.location.clone(),
            key: key.to_string(),
            message: format!("not a valid object key: {e}"),
        })
    }

    fn error(&self, key: &str, e: object_store::Error) -> Error {
        use object_store::Error as E;
        let location = self.location.clone();
        let key = key.to_string();
        match e {
            E::PermissionDenied { source, .. } | E::Unauthenticated { source, .. } => {
                Error::Denied {
                    location,
                    message: format!(
                        "{source} (check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the bucket's permissions)"
                    ),
                }
            }
            E::Generic { source, .. } if self.local.is_none() => {
                let text = source.to_string();
                if (text.contains("169.254.169.254") || text.contains("169.254.170.2"))
                    && !credentials_configured()
                {
                    // No credentials were configured, so the client asked the instance
                    // metadata service, which is not there: not worth a retry.
                    return Error::Denied {
                        location,
                        message: "no S3 credentials: set AWS_ACCESS_KEY_ID and \
                                  AWS_SECRET_ACCESS_KEY (or AWS_WEB_IDENTITY_TOKEN_FILE), or run \
                                  where the instance metadata service gives them"
                            .to_string(),
                    };
                }
                let (code, message) = s3_error(&text);
                match code.as_deref() {
                    Some(
                        "InvalidAccessKeyId" | "SignatureDoesNotMatch" | "AccessDenied"
                        | "ExpiredToken" | "InvalidToken",
                    ) => Error::Denied {
                        location,
                        message: format!(
                            "{message} (check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the bucket's permissions)"
                        ),
                    },
                    Some("NoSuchBucket") => Error::Location(format!(
                        "{location}: the bucket does not exist ({message}); create it first"
                    )),
                    // Everything else (connection refused or reset, timeouts, 5xx after the
                    // client's own retries) may pass: the caller may retry it.
                    _ => Error::Unavailable { location, message },
                }
            }
            other => Error::Storage {
                location,
                key,
                message: other.to_string(),
            },
        }
    }

    /// Reads an object; `None` when there is none.
    pub fn get(&self, key: &str) -> Result<Option<Fetched>, Error> {
        let path = self.path(key)?;
        self.rt.block_on(async {
            match self.store.get(&path).await {
                Ok(r) => {
                    let etag = r.meta.e_tag.clone();
                    let bytes = r.bytes().await.map_err(|e| self.error(key, e))?;
                    Ok(Some(Fetched {
                        bytes: bytes.to_vec(),
                        etag,
                    }))
                }
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(self.error(key, e)),
            }
        })
    }

    /// Reads an object that must exist.
    pub fn get_required(&self, key: &str) -> Result<Vec<u8>, Error> {
        self.get(key)?
            .map(|f| f.bytes)
            .ok_or_else(|| Error::NotFound {
                location: self.location.clone(),
                key: key.to_string(),
            })
    }

    /// Writes an object, replacing any (atomically: readers see the old or the new bytes).
    pub fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), Error> {
        let path = self.path(key)?;
        self.rt.block_on(async {
            self.store
                .put(&path, PutPayload::from(bytes))
                .await
                .map(|_| ())
                .map_err(|e| self.error(key, e))
        })
    }

    /// Writes an object only if there is none: `true` when written, `false` when the key
    /// already held an object (which is left as it was).
    pub fn create(&self, key: &str, bytes: Vec<u8>) -> Result<bool, Error> {
        let path = self.path(key)?;
        let opts = PutOptions {
            mode: PutMode::Create,
            ..Default::default()
        };
        self.rt.block_on(async {
            match self
                .store
                .put_opts(&path, PutPayload::from(bytes), opts)
                .await
            {
                Ok(_) => Ok(true),
                Err(object_store::Error::AlreadyExists { .. })
                | Err(object_store::Error::Precondition { .. }) => Ok(false),
                Err(e) => Err(self.error(key, e)),
            }
        })
    }

    /// Replaces an object only if it still has ETag `etag`: `true` when written, `false`
    /// when someone else changed it since it was read.
    pub fn replace(&self, key: &str, bytes: Vec<u8>, etag: &str) -> Result<bool, Error> {
        let path = self.path(key)?;
        if let Some(root) = &self.local {
            let _lock = self.lock_key(root, key)?;
            let current = self.rt.block_on(async { self.store.head(&path).await });
            match current {
                Ok(meta) if meta.e_tag.as_deref() == Some(etag) => {}
                Ok(_) | Err(object_store::Error::NotFound { .. }) => return Ok(false),
                Err(e) => return Err(self.error(key, e)),
            }
            self.put(key, bytes)?;
            return Ok(true);
        }
        let opts = PutOptions {
            mode: PutMode::Update(UpdateVersion {
                e_tag: Some(etag.to_string()),
                version: None,
            }),
            ..Default::default()
        };
        self.rt.block_on(async {
            match self
                .store
                .put_opts(&path, PutPayload::from(bytes), opts)
                .await
            {
                Ok(_) => Ok(true),
                Err(object_store::Error::Precondition { .. })
                | Err(object_store::Error::NotFound { .. }) => Ok(false),
                Err(e) => Err(self.error(key, e)),
            }
        })
    }

    /// Changes an object by compare-and-swap, the one way aqcast updates a shared
    /// document: `change` sees the object's bytes (`None` when there is none) and returns
    /// the bytes to write (`None`: leave it as it is) and a result. The bytes are written
    /// only if the object is still what `change` saw (`create` for a new object, `replace`
    /// on its ETag); otherwise `change` runs again on what the other writer wrote, after a
    /// short wait that grows as collisions repeat.
    pub fn update<T>(
        &self,
        key: &str,
        mut change: impl FnMut(Option<&[u8]>) -> Result<(Option<Vec<u8>>, T), Error>,
    ) -> Result<T, Error> {
        for attempt in 0..CAS_ATTEMPTS {
            let current = self.get(key)?;
            let (bytes, out) = change(current.as_ref().map(|f| f.bytes.as_slice()))?;
            let Some(bytes) = bytes else {
                return Ok(out);
            };
            let written = match &current {
                None => self.create(key, bytes)?,
                Some(Fetched {
                    etag: Some(etag), ..
                }) => self.replace(key, bytes, etag)?,
                Some(_) => {
                    return Err(Error::Corrupt {
                        location: self.location.clone(),
                        key: key.to_string(),
                        message: "the store gives no ETag, so it cannot be updated safely".into(),
                    })
                }
            };
            if written {
                return Ok(out);
            }
            let ms = 2.0 * f64::from(attempt.min(20) + 1) * (0.5 + crate::retry::jitter());
            std::thread::sleep(Duration::from_secs_f64(ms / 1000.0));
        }
        Err(Error::Contended {
            location: self.location.clone(),
            key: key.to_string(),
            attempts: CAS_ATTEMPTS,
        })
    }

    /// The exclusive lock of one key of a local store (released when dropped).
    fn lock_key(&self, root: &std::path::Path, key: &str) -> Result<File, Error> {
        let dir = root.join(".locks");
        let storage = |e: std::io::Error| Error::Storage {
            location: self.location.clone(),
            key: key.to_string(),
            message: format!("cannot lock {}: {e}", dir.display()),
        };
        fs::create_dir_all(&dir).map_err(storage)?;
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(aqcast_core::published::layout::encode_segment(key)))
            .map_err(storage)?;
        file.lock().map_err(storage)?;
        Ok(file)
    }

    /// Deletes an object (nothing when there is none).
    pub fn delete(&self, key: &str) -> Result<(), Error> {
        let path = self.path(key)?;
        self.rt.block_on(async {
            match self.store.delete(&path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(self.error(key, e)),
            }
        })
    }

    /// The keys under `prefix` (a folder such as `registry/`), sorted.
    pub fn list(&self, prefix: &str) -> Result<Vec<String>, Error> {
        let dir = prefix.trim_end_matches('/');
        let path = self.path(dir)?;
        let strip = match &self.prefix {
            Some(p) => format!("{p}/"),
            None => String::new(),
        };
        let metas: Vec<_> = self.rt.block_on(async {
            self.store
                .list(Some(&path))
                .try_collect::<Vec<_>>()
                .await
                .map_err(|e| self.error(prefix, e))
        })?;
        let mut keys: Vec<String> = metas
            .into_iter()
            .map(|m| {
                let k = m.location.to_string();
                k.strip_prefix(&strip).map(str::to_string).unwrap_or(k)
            })
            .collect();
        keys.sort();
        Ok(keys)
    }
}

/// The S3 error code and a one-line message from an `object_store` error's text (which
/// may carry the server's XML body).
fn s3_error(text: &str) -> (Option<String>, String) {
    let tag = |name: &str| {
        let open = format!("<{name}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find("</")? + start;
        Some(text[start..end].to_string())
    };
    match tag("Code") {
        Some(code) => {
            let msg = tag("Message").unwrap_or_default();
            (Some(code.clone()), format!("{code}: {msg}"))
        }
        None => (None, text.lines().next().unwrap_or(text).to_string()),
    }
}
