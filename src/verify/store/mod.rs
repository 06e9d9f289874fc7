//! Where objects come from: a local bucket mirror (digest-format.md §7) or S3.
//!
//! The chain walk sees only [`ObjectStore`]; it never knows which one it reads.
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;
use thiserror::Error;

#[cfg(feature = "s3")]
pub mod s3;

/// The name of the metadata sidecar at the mirror root.
pub const METADATA_FILE: &str = ".s3-metadata.json";
/// The `format` value the sidecar must carry.
pub const METADATA_FORMAT: &str = "trailcheck-s3-mirror-metadata/1";

/// Largest `.s3-metadata.json` read (about 150,000 digests' signatures).
pub const MAX_SIDECAR_BYTES: u64 = 64 << 20;
/// Most keys one listing may return; more stops the run (narrow it with `--s3-prefix`).
pub const MAX_LISTED_KEYS: usize = 2_000_000;

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
    #[error(
        "cannot list s3://{bucket}/{prefix}: more than {MAX_LISTED_KEYS} keys; narrow the \
         listing with --s3-prefix (the trail's key prefix)"
    )]
    TooManyKeys { bucket: String, prefix: String },
    #[error("{0}")]
    Setup(String),
}

/// An object the store would not read, found while listing (a symlink out of a local
/// mirror): reported, never followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub bucket: String,
    pub key: String,
    pub reason: String,
}

/// Reads at most `cap` bytes of a regular file (never a FIFO, device or directory, which
/// could block or never end).
///
/// # Errors
/// Not a regular file, larger than `cap`, or an I/O error; the message says which.
pub fn read_regular_file(path: &Path, cap: u64) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err(format!("not a regular file ({})", file_type_name(&meta)));
    }
    if meta.len() > cap {
        return Err(format!("larger than {cap} bytes"));
    }
    let file = File::open(path).map_err(|e| e.to_string())?;
    // The checked path may have been swapped between the check and the open.
    let opened = file.metadata().map_err(|e| e.to_string())?;
    if !opened.is_file() {
        return Err(format!("not a regular file ({})", file_type_name(&opened)));
    }
    let mut out = Vec::new();
    file.take(cap.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| e.to_string())?;
    if out.len() as u64 > cap {
        return Err(format!("larger than {cap} bytes"));
    }
    Ok(out)
}

/// "directory", "FIFO", "socket", "device" or "symlink", for messages.
fn file_type_name(meta: &std::fs::Metadata) -> &'static str {
    let ft = meta.file_type();
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if ft.is_fifo() {
            return "a FIFO";
        }
        if ft.is_socket() {
            return "a socket";
        }
        if ft.is_block_device() || ft.is_char_device() {
            return "a device";
        }
    }
    if ft.is_dir() {
        "a directory"
    } else if ft.is_symlink() {
        "a symlink"
    } else if ft.is_file() {
        "a regular file"
    } else {
        "a special file"
    }
}

/// Failures to fetch one object: a per-file verdict, not a stop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GetError {
    /// The object does not exist (S3 `NoSuchKey`).
    NotFound,
    /// It exists (or may) but could not be read.
    Unreadable(String),
    /// It was not read on purpose: a symlink out of the mirror, or not a regular file.
    Refused(String),
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

    /// Objects refused while listing, for the report.
    fn refused(&self) -> Vec<Refused> {
        Vec::new()
    }
}

/// A directory holding a bucket root plus its metadata sidecar.
#[derive(Debug)]
pub struct LocalDir {
    root: PathBuf,
    /// `root` with every symlink resolved: nothing outside it is ever read.
    canon_root: PathBuf,
    bucket: String,
    metadata: HashMap<String, Metadata>,
    refused: Mutex<Vec<Refused>>,
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
        let canon_root = std::fs::canonicalize(root).map_err(|e| err(e.to_string()))?;
        let side = root.join(METADATA_FILE);
        let inside = std::fs::canonicalize(&side).map_or(true, |t| t.starts_with(&canon_root));
        if !inside {
            return Err(err(format!(
                "{METADATA_FILE} is a symlink out of the mirror; it must be a file inside it"
            )));
        }
        let text = read_regular_file(&side, MAX_SIDECAR_BYTES).map_err(|e| {
            err(format!(
                "{METADATA_FILE} is required and could not be read ({e}); it holds the bucket \
                 name and each digest's signature metadata (see docs/verify.md)"
            ))
        })?;
        let (bucket, metadata) = parse_sidecar(&text).map_err(err)?;
        Ok(LocalDir {
            root: root.to_path_buf(),
            canon_root,
            bucket,
            metadata,
            refused: Mutex::new(Vec::new()),
        })
    }
}

/// Parses `.s3-metadata.json` (§7): the bucket name and each object's metadata.
///
/// # Errors
/// Not JSON or not in the format; the message names the part at fault.
pub fn parse_sidecar(text: &[u8]) -> Result<(String, HashMap<String, Metadata>), String> {
    let err = |s: String| s;
    {
        let parsed: serde_json::Value = serde_json::from_slice(text)
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
        Ok((bucket, metadata))
    }
}

impl LocalDir {
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

impl LocalDir {
    /// `path` with every symlink resolved, when that stays inside the mirror: `Ok(None)`
    /// when nothing is there, `Err(target)` when it leads out of the mirror.
    fn resolve_inside(&self, path: &Path) -> Result<Option<PathBuf>, PathBuf> {
        match std::fs::canonicalize(path) {
            Ok(t) if t.starts_with(&self.canon_root) => Ok(Some(t)),
            Ok(t) => Err(t),
            Err(_) => Ok(None),
        }
    }

    fn key_of(&self, path: &Path) -> Option<String> {
        let rel = path.strip_prefix(&self.root).ok()?;
        rel.components()
            .map(|c| c.as_os_str().to_str())
            .collect::<Option<Vec<_>>>()
            .map(|parts| parts.join("/"))
    }

    fn refuse(&self, key: String, reason: String) {
        if let Ok(mut r) = self.refused.lock() {
            r.push(Refused {
                bucket: self.bucket.clone(),
                key,
                reason,
            });
        }
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
        let list_err = |reason: String| StoreError::List {
            bucket: bucket.into(),
            prefix: prefix.into(),
            reason,
        };
        // Walk only the directory the prefix names, then filter by the full prefix.
        // Symlinks are judged by their target, as reads are: one inside the mirror is
        // listed like its target (a folder is walked), one leading out is refused and
        // reported, never followed.
        let dir_part = prefix.rfind('/').map_or("", |i| &prefix[..i]);
        let start = if dir_part.is_empty() {
            self.root.clone()
        } else {
            match self.path_of(dir_part) {
                Some(p) => p,
                None => return Ok(Vec::new()),
            }
        };
        let canon_start = match self.resolve_inside(&start) {
            Ok(Some(c)) => c,
            Ok(None) => return Ok(Vec::new()),
            Err(target) => {
                self.refuse(
                    dir_part.to_string(),
                    format!(
                        "refused: the folder is a symlink to {} outside the mirror; it was not listed",
                        target.display()
                    ),
                );
                return Ok(Vec::new());
            }
        };
        let mut keys = Vec::new();
        // Each folder with the resolved folders above it: a symlink back up is a loop and
        // not walked again; the same folder reached by two paths is listed under both,
        // as both paths can be read.
        let mut stack: Vec<(PathBuf, Vec<PathBuf>)> = vec![(start, vec![canon_start])];
        while let Some((dir, above)) = stack.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(list_err(format!("{}: {e}", dir.display()))),
            };
            for entry in entries {
                let entry = entry.map_err(|e| list_err(e.to_string()))?;
                // file_type() does not follow symlinks.
                let Ok(mut ft) = entry.file_type() else {
                    continue;
                };
                let path = entry.path();
                let Some(key) = self.key_of(&path) else {
                    continue;
                };
                if ft.is_symlink() {
                    match self.resolve_inside(&path) {
                        Ok(Some(target)) => match std::fs::metadata(&target) {
                            Ok(m) if m.is_dir() => {
                                if !above.contains(&target) {
                                    let mut chain = above.clone();
                                    chain.push(target);
                                    stack.push((path, chain));
                                }
                                continue;
                            }
                            Ok(m) => ft = m.file_type(),
                            Err(_) => continue,
                        },
                        // Dangling: nothing there.
                        Ok(None) => continue,
                        Err(target) => {
                            if key.starts_with(prefix) || prefix.starts_with(&format!("{key}/")) {
                                self.refuse(
                                    key,
                                    format!(
                                        "refused: a symlink to {} outside the mirror (not read, not listed)",
                                        target.display()
                                    ),
                                );
                            }
                            continue;
                        }
                    }
                }
                if ft.is_dir() {
                    if let Ok(c) = std::fs::canonicalize(&path) {
                        if !above.contains(&c) {
                            let mut chain = above.clone();
                            chain.push(c);
                            stack.push((path, chain));
                        }
                    }
                } else if key != METADATA_FILE && key.starts_with(prefix) {
                    // Regular files, and FIFOs or devices too: they exist, and reading
                    // one is refused (`get`) rather than blocking.
                    keys.push(key);
                    if keys.len() > MAX_LISTED_KEYS {
                        return Err(StoreError::TooManyKeys {
                            bucket: bucket.into(),
                            prefix: prefix.into(),
                        });
                    }
                }
            }
        }
        keys.sort_unstable();
        keys.dedup();
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
        let target = match self.resolve_inside(&path) {
            Ok(Some(t)) => t,
            Ok(None) => return Err(GetError::NotFound),
            Err(target) => {
                return Err(GetError::Refused(format!(
                    "refused: it is (or lies under) a symlink to {} outside the mirror {}",
                    target.display(),
                    self.root.display()
                )))
            }
        };
        // Judge the type before opening: opening a FIFO blocks until a writer comes.
        let meta = match std::fs::metadata(&target) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(GetError::NotFound),
            Err(e) => return Err(GetError::Unreadable(format!("{}: {e}", path.display()))),
        };
        if meta.is_dir() {
            return Err(GetError::NotFound);
        }
        if !meta.is_file() {
            return Err(GetError::Refused(format!(
                "refused: {} is {}, not a regular file",
                path.display(),
                file_type_name(&meta)
            )));
        }
        let file = match File::open(&target) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(GetError::NotFound),
            Err(e) => return Err(GetError::Unreadable(format!("{}: {e}", path.display()))),
        };
        match file.metadata() {
            Ok(m) if m.is_file() => {}
            Ok(m) => {
                return Err(GetError::Refused(format!(
                    "refused: {} is {}, not a regular file",
                    path.display(),
                    file_type_name(&m)
                )))
            }
            Err(e) => return Err(GetError::Unreadable(format!("{}: {e}", path.display()))),
        }
        Ok(Object {
            metadata: self.metadata.get(key).cloned().unwrap_or_default(),
            body: Box::new(file),
        })
    }

    fn refused(&self) -> Vec<Refused> {
        self.refused.lock().map(|r| r.clone()).unwrap_or_default()
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

    fn refused(&self) -> Vec<Refused> {
        self.mirrors.iter().flat_map(ObjectStore::refused).collect()
    }
}
