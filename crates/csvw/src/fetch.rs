//! Retrieving metadata and CSV files: the [`Fetcher`] trait and a local-file implementation.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use url::Url;

/// A retrieved resource: its bytes and the HTTP headers that CSVW cares about.
#[derive(Debug, Clone, Default)]
pub struct Resource {
    /// The body.
    pub body: Vec<u8>,
    /// The `Content-Type` header, if any (for example `text/csv;header=absent`).
    pub content_type: Option<String>,
    /// The values of every `Link` header.
    pub links: Vec<String>,
}

/// Something that resolves URLs to bytes: HTTP, the local file system, or a test fixture.
///
/// `Ok(None)` means "not found" (HTTP 404); `Err` is a transport failure.
pub trait Fetcher {
    /// Retrieves `url`.
    fn fetch(&self, url: &Url) -> io::Result<Option<Resource>>;
}

impl<F: Fetcher + ?Sized> Fetcher for &F {
    fn fetch(&self, url: &Url) -> io::Result<Option<Resource>> {
        (**self).fetch(url)
    }
}

/// Serves `file:` URLs from the local file system, and optionally maps one URL prefix
/// (for example a publisher's web site) onto a local directory.
///
/// Every other URL is "not found", so the processor never touches the network.
#[derive(Debug, Clone, Default)]
pub struct FileFetcher {
    mappings: Vec<(String, PathBuf)>,
}

impl FileFetcher {
    /// A fetcher for `file:` URLs only.
    pub fn new() -> Self {
        Self::default()
    }

    /// Also serve URLs starting with `prefix` from `dir` (the rest of the URL path, without
    /// query or fragment, is the relative file path).
    #[must_use]
    pub fn with_mapping(mut self, prefix: impl Into<String>, dir: impl Into<PathBuf>) -> Self {
        self.mappings.push((prefix.into(), dir.into()));
        self
    }

    /// The local path for `url`, if this fetcher serves it.
    pub fn local_path(&self, url: &Url) -> Option<PathBuf> {
        let mut without_query = url.clone();
        without_query.set_query(None);
        without_query.set_fragment(None);
        let text = without_query.as_str();
        for (prefix, dir) in &self.mappings {
            if let Some(rest) = text.strip_prefix(prefix.as_str()) {
                let decoded = percent_encoding::percent_decode_str(rest)
                    .decode_utf8()
                    .ok()?;
                if decoded.split('/').any(|segment| segment == "..") {
                    return None;
                }
                return Some(dir.join(Path::new(decoded.as_ref())));
            }
        }
        if url.scheme() == "file" {
            return without_query.to_file_path().ok();
        }
        None
    }
}

impl Fetcher for FileFetcher {
    fn fetch(&self, url: &Url) -> io::Result<Option<Resource>> {
        let Some(path) = self.local_path(url) else {
            return Ok(None);
        };
        match fs::read(&path) {
            Ok(body) => Ok(Some(Resource {
                body,
                content_type: None,
                links: Vec::new(),
            })),
            Err(e)
                if e.kind() == io::ErrorKind::NotFound
                    || e.kind() == io::ErrorKind::IsADirectory
                    || e.kind() == io::ErrorKind::NotADirectory =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}

/// Serves resources held in memory, keyed by URL (tests, servers, embedded data).
#[derive(Debug, Clone, Default)]
pub struct MemoryFetcher {
    resources: std::collections::HashMap<String, Resource>,
}

impl MemoryFetcher {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the body served at `url`.
    pub fn insert(&mut self, url: impl Into<String>, body: impl Into<Vec<u8>>) {
        self.insert_resource(
            url,
            Resource {
                body: body.into(),
                ..Resource::default()
            },
        );
    }

    /// Adds a resource with headers.
    pub fn insert_resource(&mut self, url: impl Into<String>, resource: Resource) {
        self.resources.insert(url.into(), resource);
    }
}

impl Fetcher for MemoryFetcher {
    fn fetch(&self, url: &Url) -> io::Result<Option<Resource>> {
        Ok(self.resources.get(url.as_str()).cloned())
    }
}
