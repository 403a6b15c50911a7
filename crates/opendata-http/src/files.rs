//! Files under a root directory: request paths mapped to files without ever leaving the
//! root, and content types by file name.

use http::HeaderValue;
use std::path::{Path, PathBuf};

/// Why a request path cannot name a file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathRefused {
    /// The path does not start with `/`.
    #[error("the path does not start with '/'")]
    NotAbsolute,
    /// An empty segment (`//`) other than a final `/`.
    #[error("the path has an empty segment")]
    EmptySegment,
    /// A segment is not valid percent-encoded UTF-8.
    #[error("a path segment is not valid UTF-8")]
    NotUtf8,
    /// A segment starts with a dot (`.`, `..`, hidden files).
    #[error("a path segment starts with '.'")]
    DotSegment,
    /// A segment holds an encoded separator, a backslash, a colon, NUL or another control
    /// character.
    #[error("a path segment holds a separator or control character")]
    ForbiddenCharacter,
}

/// Decodes a request path (`/archiv/2026-01-01/`, percent-encoded as sent) into segments
/// that can only name something below a root: each segment is decoded on its own, and a
/// segment that is empty (except a final `/`), starts with `.`, or holds `/`, `\`, `:`, NUL
/// or another control character once decoded is refused.
pub fn segments(raw: &str) -> Result<Vec<String>, PathRefused> {
    let rest = raw.strip_prefix('/').ok_or(PathRefused::NotAbsolute)?;
    let parts: Vec<&str> = rest.split('/').collect();
    let mut out = Vec::with_capacity(parts.len());
    for (index, part) in parts.iter().enumerate() {
        if part.is_empty() {
            if index + 1 == parts.len() {
                continue;
            }
            return Err(PathRefused::EmptySegment);
        }
        let decoded = percent_encoding::percent_decode_str(part)
            .decode_utf8()
            .map_err(|_| PathRefused::NotUtf8)?;
        if decoded.starts_with('.') {
            return Err(PathRefused::DotSegment);
        }
        if decoded.contains(['/', '\\', ':']) || decoded.chars().any(char::is_control) {
            return Err(PathRefused::ForbiddenCharacter);
        }
        out.push(decoded.into_owned());
    }
    Ok(out)
}

/// A file found under a root.
#[derive(Debug)]
pub struct Resolved {
    /// Its real path (symbolic links resolved), inside the real root.
    pub path: PathBuf,
    /// Its metadata.
    pub metadata: std::fs::Metadata,
}

/// Finds the file `segments` name below `root`, following symbolic links only as far as
/// they stay inside the root: the resolved path must lie under the resolved root.
///
/// `Ok(None)` when there is no such file or it leads outside; a directory is returned as one
/// (the caller decides about `index.html`).
pub fn resolve(root: &Path, segments: &[String]) -> std::io::Result<Option<Resolved>> {
    let real_root = std::fs::canonicalize(root)?;
    let mut path = real_root.clone();
    for segment in segments {
        path.push(segment);
    }
    let real = match std::fs::canonicalize(&path) {
        Ok(real) => real,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    if !real.starts_with(&real_root) {
        return Ok(None);
    }
    let metadata = std::fs::metadata(&real)?;
    Ok(Some(Resolved {
        path: real,
        metadata,
    }))
}

/// The media type of a file name and whether it is text.
fn media_type(name: &str) -> (&'static str, bool) {
    if name.ends_with("-metadata.json") {
        return ("application/csvm+json", false);
    }
    if name == "SHA256SUMS" {
        return ("text/plain", true);
    }
    let extension = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "csv" => ("text/csv", true),
        "html" | "htm" => ("text/html", true),
        "txt" => ("text/plain", true),
        "ttl" => ("text/turtle", true),
        "css" => ("text/css", true),
        "js" => ("text/javascript", true),
        // Zone files are ASCII (names in punycode): no charset (RFC 4027).
        "rpz" | "zone" => ("text/dns", false),
        "json" => ("application/json", false),
        "jsonld" => ("application/ld+json", false),
        "trig" => ("application/trig", false),
        "nt" => ("application/n-triples", false),
        "nq" => ("application/n-quads", false),
        "rdf" => ("application/rdf+xml", false),
        "xml" | "xsd" => ("application/xml", false),
        "atom" => ("application/atom+xml", false),
        "zip" => ("application/zip", false),
        "gz" => ("application/gzip", false),
        "png" => ("image/png", false),
        "svg" => ("image/svg+xml", false),
        _ => ("application/octet-stream", false),
    }
}

/// The `Content-Type` of a file name. `utf8_text`: text files are known to be UTF-8 (our
/// own publications), so text types say `charset=utf-8`; third-party files (a publisher's
/// windows-1250 CSV) get no charset rather than a wrong one.
pub fn content_type(name: &str, utf8_text: bool) -> HeaderValue {
    let (media, text) = media_type(name);
    if text && utf8_text {
        HeaderValue::from_str(&format!("{media}; charset=utf-8"))
            .unwrap_or(HeaderValue::from_static("application/octet-stream"))
    } else {
        HeaderValue::from_static(media)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_refused() {
        for (bad, why) in [
            ("../etc/passwd", PathRefused::NotAbsolute),
            ("/../etc/passwd", PathRefused::DotSegment),
            ("/%2e%2e/etc/passwd", PathRefused::DotSegment),
            ("/archiv/..%2fSHA256SUMS", PathRefused::DotSegment),
            ("/a%2F..%2F..%2Fetc", PathRefused::ForbiddenCharacter),
            ("/a%5c..%5cb", PathRefused::ForbiddenCharacter),
            ("//etc/passwd", PathRefused::EmptySegment),
            ("/.hidden", PathRefused::DotSegment),
            ("/a/%00", PathRefused::ForbiddenCharacter),
            ("/a/%0a", PathRefused::ForbiddenCharacter),
            ("/C:%5cwindows", PathRefused::ForbiddenCharacter),
            ("/a//b", PathRefused::EmptySegment),
            ("/%ff", PathRefused::NotUtf8),
        ] {
            assert_eq!(segments(bad), Err(why), "{bad}");
        }
        assert_eq!(segments("/"), Ok(vec![]));
        assert_eq!(
            segments("/archiv/2026-01-01/"),
            Ok(vec!["archiv".to_owned(), "2026-01-01".to_owned()])
        );
        assert_eq!(
            segments("/dom%C3%A9ny.txt"),
            Ok(vec!["domény.txt".to_owned()])
        );
    }

    #[test]
    fn symlinks_may_not_lead_outside() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/a.txt"), "a").unwrap();
        std::fs::write(dir.path().join("secret.txt"), "secret").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret.txt"), root.join("out.txt")).unwrap();
        std::os::unix::fs::symlink(root.join("sub/a.txt"), root.join("in.txt")).unwrap();
        let seg = |s: &str| segments(s).unwrap();
        assert!(resolve(&root, &seg("/sub/a.txt")).unwrap().is_some());
        assert!(resolve(&root, &seg("/in.txt")).unwrap().is_some());
        assert!(resolve(&root, &seg("/out.txt")).unwrap().is_none());
        assert!(resolve(&root, &seg("/missing")).unwrap().is_none());
        // A root that is itself a link (the publication symlink) is followed.
        std::os::unix::fs::symlink(&root, dir.path().join("link")).unwrap();
        assert!(
            resolve(&dir.path().join("link"), &seg("/sub/a.txt"))
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type("a.csv", true), "text/csv; charset=utf-8");
        assert_eq!(content_type("a.csv", false), "text/csv");
        assert_eq!(
            content_type("a.csv-metadata.json", true),
            "application/csvm+json"
        );
        assert_eq!(
            content_type("SHA256SUMS", true),
            "text/plain; charset=utf-8"
        );
        assert_eq!(content_type("x.RPZ", true), "text/dns");
        assert_eq!(content_type("x.zip", true), "application/zip");
        assert_eq!(content_type("noext", true), "application/octet-stream");
    }
}
