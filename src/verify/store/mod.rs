//! Where objects come from: a local bucket mirror (digest-format.md §7) or S3.
//!
//! The chain walk sees only [`ObjectStore`]; it never knows which one it reads.
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use thiserror::Error;

#[cfg(feature = "s3")]
pub mod s3;

/// The name of the metadata sidecar at the mirror root.
pub const METADATA_FILE: &str = ".s3-metadata.json";
/// The `format` value the sidecar must carry.
pub const METADATA_FORMAT: &str = "trailcheck-s3-mirror-metadata/1";

/// S3 user metadata, names without `x-amz-meta-`.
pub type Metadata = BTreeMap<String, String>;

/// One fetched object: its metadata and a reader over its (compressed) bytes.
pub struct Object {
    pub metadata: Metadata,
    pub body: Box<dyn Read + Send>,
}

/// Failures that stop the whole run (exit 2).
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("cannot open the local mirror {path}: {reason}")]
    Mirror { path: String, reason: String },
    #[error("cannot list s3://{bucket}/{prefix}: {reason}")]
    List {
        bucket: String,
        prefix: String,
        reason: String,
    },
    #[error("{0}")]
    Setup(String),
}

/// Failures to fetch one object: a per-file verdict, not a stop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GetError {
    /// The object does not exist (S3 `NoSuchKey`).
    NotFound,
    /// It exists (or may) but could not be read.
    Unreadable(String),
}

/// A bucket, local or remote.
pub trait ObjectStore: Send + Sync {
    /// Every key under `prefix` in `bucket`, sorted as S3 lists them (byte order).
    ///
    /// # Errors
    /// The listing failed (access, network): the run cannot go on.
    fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<String>, StoreError>;

    /// Fetches one object.
    ///
    /// # Errors
    /// [`GetError::NotFound`] or the reason it could not be read.
    fn get(&self, bucket: &str, key: &str) -> Result<Object, GetError>;
}

/// A directory holding a bucket root plus its metadata sidecar.
#[derive(Debug)]
pub struct LocalDir {
    root: PathBuf,
    bucket: String,
    metadata: HashMap<String, Metadata>,
}

impl LocalDir {
    /// Opens a mirror and reads its sidecar.
    ///
    /// # Errors
    /// Missing directory or sidecar, or a sidecar not in the §7 format.
    pub fn open(root: &Path) -> Result<Self, StoreError> {
        let err = |reason: String| StoreError::Mirror {
            path: root.display().to_string(),
            reason,
        };
        if !root.is_dir() {
            return Err(err("not a directory".into()));
        }
        let side = root.join(METADATA_FILE);
        let text = std::fs::read(&side).map_err(|e| {
            err(format!(
                "{METADATA_FILE} is required and could not be read ({e}); it holds the bucket \
                 name and each digest's signature metadata (see docs/verify.md)"
            ))
        })?;
        let parsed: serde_json::Value = serde_json::from_slice(&text)
            .map_err(|e| err(format!("{METADATA_FILE} is not JSON: {e}")))?;
        if parsed.get("format").and_then(|v| v.as_str()) != Some(METADATA_FORMAT) {
            return Err(err(format!(
                "{METADATA_FILE}: `format` must be \"{METADATA_FORMAT}\""
            )));
        }
        let bucket = parsed
            .get("bucket")
            .and_then(|v| v.as_str())
            .filter(|b| !b.is_empty())
            .ok_or_else(|| err(format!("{METADATA_FILE}: `bucket` must be a bucket name")))?
            .to_string();
        let mut metadata = HashMap::new();
        if let Some(objects) = parsed.get("objects") {
            let objects = objects
                .as_object()
                .ok_or_else(|| err(format!("{METADATA_FILE}: `objects` must be an object")))?;
            for (key, meta) in objects {
                let meta = meta.as_object().ok_or_else(|| {
                    err(format!(
                        "{METADATA_FILE}: metadata of {key} must be an object"
                    ))
                })?;
                let mut m = Metadata::new();
                for (name, value) in meta {
                    let value = value.as_str().ok_or_else(|| {
                        err(format!(
                            "{METADATA_FILE}: metadata {name} of {key} must be a string"
                        ))
                    })?;
                    m.insert(name.to_ascii_lowercase(), value.to_string());
                }
                metadata.insert(key.clone(), m);
            }
        }
        Ok(LocalDir {
            root: root.to_path_buf(),
            bucket,
            metadata,
        })
    }

    /// The bucket this mirror holds.
    #[must_use]
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    fn path_of(&self, key: &str) -> Option<PathBuf> {
        let rel = Path::new(key);
        if key.is_empty() || !rel.components().all(|c| matches!(c, Component::Normal(_))) {
            return None;
        }
        Some(self.root.join(rel))
    }
}

impl ObjectStore for LocalDir {
    fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<String>, StoreError> {
        if bucket != self.bucket {
            return Err(StoreError::List {
                bucket: bucket.into(),
                prefix: prefix.into(),
                reason: format!("the local mirror holds bucket {} only", self.bucket),
            });
        }
        // Walk only the directory the prefix names, then filter by the full prefix.
        let dir_part = prefix.rfind('/').map_or("", |i| &prefix[..i]);
        let start = if dir_part.is_empty() {
            self.root.clone()
        } else {
            match self.path_of(dir_part) {
                Some(p) => p,
                None => return Ok(Vec::new()),
            }
        };
        let mut keys = Vec::new();
        let mut stack = vec![start];
        while let Some(dir) = stack.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    return Err(StoreError::List {
                        bucket: bucket.into(),
                        prefix: prefix.into(),
                        reason: format!("{}: {e}", dir.display()),
                    })
                }
            };
            for entry in entries {
                let entry = entry.map_err(|e| StoreError::List {
                    bucket: bucket.into(),
                    prefix: prefix.into(),
                    reason: e.to_string(),
                })?;
                // symlink_metadata: a symlink loop is never followed.
                let Ok(ft) = entry.file_type() else { continue };
                let path = entry.path();
                if ft.is_dir() {
                    stack.push(path);
                } else if ft.is_file() {
                    let Ok(rel) = path.strip_prefix(&self.root) else {
                        continue;
                    };
                    let Some(key) = rel
                        .components()
                        .map(|c| c.as_os_str().to_str())
                        .collect::<Option<Vec<_>>>()
                        .map(|parts| parts.join("/"))
                    else {
                        continue;
                    };
                    if key != METADATA_FILE && key.starts_with(prefix) {
                        keys.push(key);
                    }
                }
            }
        }
        keys.sort_unstable();
        Ok(keys)
    }

    fn get(&self, bucket: &str, key: &str) -> Result<Object, GetError> {
        if bucket != self.bucket {
            return Err(GetError::Unreadable(format!(
                "bucket {bucket} is not in the local mirror (it holds {} only)",
                self.bucket
            )));
        }
        let Some(path) = self.path_of(key) else {
            return Err(GetError::Unreadable(format!("unsafe object key {key:?}")));
        };
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(GetError::NotFound),
            Err(e) => return Err(GetError::Unreadable(format!("{}: {e}", path.display()))),
        };
        if path.is_dir() {
            return Err(GetError::NotFound);
        }
        Ok(Object {
            metadata: self.metadata.get(key).cloned().unwrap_or_default(),
            body: Box::new(file),
        })
    }
}

/// Several local mirrors, one bucket each: the trail's bucket and the buckets its digest
/// chain moved from (`previousDigestS3Bucket`). Requests go to the mirror of their bucket.
#[derive(Debug)]
pub struct LocalMirrors {
    mirrors: Vec<LocalDir>,
}

impl LocalMirrors {
    /// Opens every mirror.
    ///
    /// # Errors
    /// A mirror that cannot be opened, or two mirrors of the same bucket.
    pub fn open(dirs: &[PathBuf]) -> Result<Self, StoreError> {
        let mut mirrors: Vec<LocalDir> = Vec::with_capacity(dirs.len());
        for dir in dirs {
            let m = LocalDir::open(dir)?;
            if let Some(first) = mirrors.iter().find(|o| o.bucket == m.bucket) {
                return Err(StoreError::Mirror {
                    path: dir.display().to_string(),
                    reason: format!(
                        "it holds bucket {}, as {} does; give each bucket one --local mirror",
                        m.bucket,
                        first.root.display()
                    ),
                });
            }
            mirrors.push(m);
        }
        if mirrors.is_empty() {
            return Err(StoreError::Setup("no --local mirror given".into()));
        }
        Ok(LocalMirrors { mirrors })
    }

    /// The buckets held, in the order given.
    pub fn buckets(&self) -> impl Iterator<Item = &str> {
        self.mirrors.iter().map(LocalDir::bucket)
    }

    fn mirror_of(&self, bucket: &str) -> Option<&LocalDir> {
        self.mirrors.iter().find(|m| m.bucket == bucket)
    }

    fn missing(&self, bucket: &str) -> String {
        format!(
            "no --local mirror holds bucket {bucket} (the mirrors hold {}); add its mirror \
             with another --local",
            self.buckets().collect::<Vec<_>>().join(", ")
        )
    }
}

impl ObjectStore for LocalMirrors {
    fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<String>, StoreError> {
        match self.mirror_of(bucket) {
            Some(m) => m.list(bucket, prefix),
            None => Err(StoreError::List {
                bucket: bucket.into(),
                prefix: prefix.into(),
                reason: self.missing(bucket),
            }),
        }
    }

    fn get(&self, bucket: &str, key: &str) -> Result<Object, GetError> {
        match self.mirror_of(bucket) {
            Some(m) => m.get(bucket, key),
            None => Err(GetError::Unreadable(self.missing(bucket))),
        }
    }
}
