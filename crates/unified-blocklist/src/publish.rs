//! Atomic publication of an output directory.
//!
//! The output path (say `out/`) is a symbolic link to one immutable publication directory in a
//! sibling store (`.out.publications/<id>/`). A new publication is built completely in a staging
//! directory inside that store, fsynced, renamed to its final name, and then the link is
//! replaced with `rename(2)` of a freshly made link over the old one. `rename` is atomic, so a
//! reader that resolves `out/` sees either the complete old set or the complete new set, and a
//! process killed at any moment (even `kill -9`) leaves `out/` pointing at the last complete
//! publication. Leftover staging directories are removed by the next publication.
//!
//! Every publication carries `SHA256SUMS` (over its top-level files) and an archive
//! `archiv/YYYY-MM-DD/` holding the dated copies of all earlier publications plus its own (its
//! top-level files and its subdirectories, such as the source copies). The archive is carried
//! over from the previous publication with hard links, so it costs no copies.

use sha2::{Digest, Sha256};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The directory inside a publication that holds the dated copies.
pub const ARCHIVE_DIR: &str = "archiv";
/// The checksum file of a publication.
pub const SUMS_FILE: &str = "SHA256SUMS";
/// The archive's own index page.
const ARCHIVE_INDEX: &str = "index.html";
/// How many older publications stay on disk besides the current one, so that readers which
/// resolved the link just before a swap can finish reading.
const KEEP_OLDER: usize = 2;
const STAGING_PREFIX: &str = ".staging-";

/// A publication failed; the previous publication is untouched.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// A file-system operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The output path exists but is not a link managed by this tool.
    #[error(
        "{0} exists and is not a publication link made by unified-blocklist; move it away or choose another --out"
    )]
    NotManaged(PathBuf),
    /// A file name that cannot be published (empty, hidden, a path, or reserved).
    #[error("cannot publish a file named {0:?}: names must be plain, visible and not reserved")]
    BadName(String),
}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> PublishError + 'a {
    move |source| PublishError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Publishes complete sets of files into an output path atomically.
#[derive(Debug, Clone)]
pub struct Publisher {
    out: PathBuf,
    store: PathBuf,
    /// The store's file name, which the link points to relative to its own directory.
    store_name: String,
}

/// A publication being assembled; nothing is visible until [`Publisher::commit`].
#[derive(Debug)]
pub struct Staging {
    dir: PathBuf,
    id: String,
}

impl Staging {
    /// The staging directory (files may also be written here directly).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The id the publication will have once committed (known in advance, so that files
    /// such as the manifest can name it).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Writes one top-level file of the publication.
    pub fn write(&self, name: &str, contents: &[u8]) -> Result<(), PublishError> {
        check_name(name)?;
        write_synced(&self.dir.join(name), contents)
    }

    /// Writes `subdir/name` (one level of subdirectories, e.g. the source copies in
    /// `zdroje/`); the subdirectory is archived with the publication like its files.
    pub fn write_in(&self, subdir: &str, name: &str, contents: &[u8]) -> Result<(), PublishError> {
        let dir = self.subdir(subdir)?;
        check_name(name)?;
        write_synced(&dir.join(name), contents)
    }

    /// Puts the existing file `from` at `subdir/name` as a hard link (a copy where links are
    /// not possible), e.g. an input kept from the previous publication.
    pub fn link_in(&self, subdir: &str, name: &str, from: &Path) -> Result<(), PublishError> {
        let dir = self.subdir(subdir)?;
        check_name(name)?;
        link_or_copy(from, &dir.join(name))
    }

    fn subdir(&self, subdir: &str) -> Result<PathBuf, PublishError> {
        check_name(subdir)?;
        let dir = self.dir.join(subdir);
        if !dir.is_dir() {
            fs::create_dir(&dir).map_err(io_err("create", &dir))?;
        }
        Ok(dir)
    }
}

fn write_synced(path: &Path, contents: &[u8]) -> Result<(), PublishError> {
    let mut file = fs::File::create(path).map_err(io_err("create", path))?;
    file.write_all(contents).map_err(io_err("write", path))?;
    file.sync_all().map_err(io_err("fsync", path))
}

fn check_name(name: &str) -> Result<(), PublishError> {
    let bad = name.is_empty()
        || name.starts_with('.')
        || name.contains(['/', '\\', '\0'])
        || name == ARCHIVE_DIR
        || name == SUMS_FILE;
    if bad {
        Err(PublishError::BadName(name.to_owned()))
    } else {
        Ok(())
    }
}

/// The result of a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    /// The publication's identifier (its directory name in the store).
    pub id: String,
    /// Its directory in the store.
    pub dir: PathBuf,
}

impl Publisher {
    /// A publisher for the output path `out` (e.g. `./out`). Nothing is created yet.
    pub fn new(out: impl Into<PathBuf>) -> Self {
        let out = out.into();
        let name = out
            .file_name()
            .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
        let parent = out.parent().map(Path::to_path_buf).unwrap_or_default();
        let store_name = format!(".{name}.publications");
        let store = parent.join(&store_name);
        Self {
            out,
            store,
            store_name,
        }
    }

    /// The output path.
    pub fn out(&self) -> &Path {
        &self.out
    }

    /// The directory holding the publications.
    pub fn store(&self) -> &Path {
        &self.store
    }

    /// The current publication's directory, or `None` before the first publication.
    pub fn current(&self) -> Result<Option<PathBuf>, PublishError> {
        match fs::symlink_metadata(&self.out) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err("inspect", &self.out)(e)),
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = fs::read_link(&self.out).map_err(io_err("read link", &self.out))?;
                let parent = self.out.parent().unwrap_or(Path::new(""));
                Ok(Some(parent.join(target)))
            }
            Ok(meta) if meta.is_dir() && dir_is_empty(&self.out)? => Ok(None),
            Ok(_) => Err(PublishError::NotManaged(self.out.clone())),
        }
    }

    /// Starts a new publication in a fresh staging directory, choosing its id.
    pub fn stage(&self) -> Result<Staging, PublishError> {
        // Refuse early, before any work, if the output path is not ours.
        self.current()?;
        fs::create_dir_all(&self.store).map_err(io_err("create", &self.store))?;
        let id = unique_id(&self.store)?;
        let dir = self
            .store
            .join(format!("{STAGING_PREFIX}{id}-{}", std::process::id()));
        fs::create_dir(&dir).map_err(io_err("create", &dir))?;
        Ok(Staging { dir, id })
    }

    /// Completes `staging` (checksums, archive copy dated `archive_date`) and makes it the
    /// current publication with one atomic rename.
    pub fn commit(
        &self,
        staging: Staging,
        archive_date: chrono::NaiveDate,
    ) -> Result<Publication, PublishError> {
        let previous = self.current()?;
        let dir = &staging.dir.clone();
        let files = top_level_files(dir)?;
        let mut sums = String::new();
        for name in &files {
            let path = dir.join(name);
            let bytes = fs::read(&path).map_err(io_err("read", &path))?;
            sums.push_str(&format!(
                "{}  {name}\n",
                hex::encode(Sha256::digest(&bytes))
            ));
        }
        staging.write_reserved(SUMS_FILE, sums.as_bytes())?;
        let subdirs: Vec<String> = list_dir(dir)?
            .into_iter()
            .filter(|name| name != ARCHIVE_DIR && dir.join(name).is_dir())
            .collect();
        // From here on the staging directory is only renamed; the handle is spent.
        let Staging { id, .. } = staging;

        // The archive: every earlier dated copy (hard links), then today's copy.
        let archive = dir.join(ARCHIVE_DIR);
        fs::create_dir(&archive).map_err(io_err("create", &archive))?;
        let today = archive_date.format("%Y-%m-%d").to_string();
        if let Some(prev) = &previous {
            let prev_archive = prev.join(ARCHIVE_DIR);
            if prev_archive.is_dir() {
                for date in list_dir(&prev_archive)? {
                    let from = prev_archive.join(&date);
                    if date == today || !from.is_dir() {
                        continue;
                    }
                    link_tree(&from, &archive.join(&date))?;
                }
            }
        }
        let dated = archive.join(&today);
        fs::create_dir(&dated).map_err(io_err("create", &dated))?;
        for name in files.iter().map(String::as_str).chain([SUMS_FILE]) {
            link_or_copy(&dir.join(name), &dated.join(name))?;
        }
        for name in &subdirs {
            link_tree(&dir.join(name), &dated.join(name))?;
        }
        sync_dir(&dated)?;
        write_archive_index(&archive)?;
        sync_dir(&archive)?;
        sync_dir(dir)?;

        // Name the publication and swap the link. Ids are never reused: the id was free when
        // staging began, and only a run holding the state lock publishes.
        let final_dir = self.store.join(&id);
        if fs::symlink_metadata(&final_dir).is_ok() {
            return Err(PublishError::Io {
                action: "publish as",
                path: final_dir,
                source: io::Error::from(io::ErrorKind::AlreadyExists),
            });
        }
        fs::rename(dir, &final_dir).map_err(io_err("rename", dir))?;
        sync_dir(&self.store)?;
        self.swap_link(&id)?;
        self.collect_garbage(&id);
        Ok(Publication { id, dir: final_dir })
    }

    fn swap_link(&self, id: &str) -> Result<(), PublishError> {
        let target = Path::new(&self.store_name).join(id);
        let parent = self.out.parent().unwrap_or(Path::new(""));
        let tmp_link = parent.join(format!(
            ".{}.link-{}",
            self.out
                .file_name()
                .map_or("out".into(), |n| n.to_string_lossy()),
            std::process::id()
        ));
        let _ = fs::remove_file(&tmp_link);
        std::os::unix::fs::symlink(&target, &tmp_link).map_err(io_err("create link", &tmp_link))?;
        // An empty directory at the output path (say, made by an operator) is replaced once.
        if fs::symlink_metadata(&self.out).is_ok_and(|m| m.is_dir()) {
            fs::remove_dir(&self.out).map_err(io_err("remove empty directory", &self.out))?;
        }
        fs::rename(&tmp_link, &self.out).map_err(io_err("rename link onto", &self.out))?;
        sync_dir(if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        })
    }

    /// Removes abandoned staging directories and all but the newest older publications.
    fn collect_garbage(&self, current_id: &str) {
        let Ok(entries) = list_dir(&self.store) else {
            return;
        };
        let mut published: Vec<String> = Vec::new();
        for name in entries {
            if name.starts_with(STAGING_PREFIX) {
                let _ = fs::remove_dir_all(self.store.join(&name));
            } else if name != current_id {
                published.push(name);
            }
        }
        published.sort();
        let excess = published.len().saturating_sub(KEEP_OLDER);
        for name in published.iter().take(excess) {
            let _ = fs::remove_dir_all(self.store.join(name));
        }
    }
}

impl Staging {
    fn write_reserved(&self, name: &str, contents: &[u8]) -> Result<(), PublishError> {
        write_synced(&self.dir.join(name), contents)
    }
}

/// The SHA256SUMS text for the top-level files of a publication directory (as
/// [`Publisher::commit`] writes it), for checking a rebuilt publication.
pub fn sums_of(files: &[(String, Vec<u8>)]) -> String {
    let mut sorted: Vec<&(String, Vec<u8>)> = files.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut sums = String::new();
    for (name, bytes) in sorted {
        sums.push_str(&format!("{}  {name}\n", hex::encode(Sha256::digest(bytes))));
    }
    sums
}

/// A fresh publication id: a UTC timestamp with microseconds, so ids sort by age and an id is
/// never reused (a reader holding an old path must never find new content under it).
fn unique_id(store: &Path) -> Result<String, PublishError> {
    loop {
        let id = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ").to_string();
        if fs::symlink_metadata(store.join(&id)).is_err() {
            return Ok(id);
        }
        std::thread::sleep(std::time::Duration::from_micros(2));
    }
}

fn dir_is_empty(dir: &Path) -> Result<bool, PublishError> {
    Ok(fs::read_dir(dir)
        .map_err(io_err("list", dir))?
        .next()
        .is_none())
}

fn list_dir(dir: &Path) -> Result<Vec<String>, PublishError> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_err("list", dir))? {
        let entry = entry.map_err(io_err("list", dir))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

fn top_level_files(dir: &Path) -> Result<Vec<String>, PublishError> {
    let mut files = Vec::new();
    for name in list_dir(dir)? {
        let path = dir.join(&name);
        let meta = fs::symlink_metadata(&path).map_err(io_err("inspect", &path))?;
        if meta.is_file() {
            files.push(name);
        }
    }
    Ok(files)
}

fn link_tree(from: &Path, to: &Path) -> Result<(), PublishError> {
    fs::create_dir(to).map_err(io_err("create", to))?;
    for name in list_dir(from)? {
        let src = from.join(&name);
        if src.is_dir() {
            link_tree(&src, &to.join(&name))?;
        } else {
            link_or_copy(&src, &to.join(&name))?;
        }
    }
    Ok(())
}

fn link_or_copy(from: &Path, to: &Path) -> Result<(), PublishError> {
    if fs::hard_link(from, to).is_ok() {
        return Ok(());
    }
    fs::copy(from, to).map_err(io_err("copy", from))?;
    Ok(())
}

fn sync_dir(dir: &Path) -> Result<(), PublishError> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err("fsync", dir))
}

fn write_archive_index(archive: &Path) -> Result<(), PublishError> {
    let dates: Vec<String> = list_dir(archive)?
        .into_iter()
        .filter(|name| archive.join(name).is_dir())
        .rev()
        .collect();
    let mut html = String::from(
        "<!DOCTYPE html>\n<html lang=\"cs\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Archiv jednotného seznamu</title>\n</head>\n<body>\n<main>\n\
         <h1>Archiv jednotného seznamu</h1>\n<p><a href=\"../\">Aktuální seznam</a></p>\n<ul>\n",
    );
    for date in &dates {
        let date = crate::html::escape(date);
        html.push_str(&format!(
            "<li><a href=\"{date}/\">{date}</a> – <a href=\"{date}/jednotny-seznam.csv\">CSV</a></li>\n"
        ));
    }
    html.push_str("</ul>\n</main>\n</body>\n</html>\n");
    let path = archive.join(ARCHIVE_INDEX);
    let mut file = fs::File::create(&path).map_err(io_err("create", &path))?;
    file.write_all(html.as_bytes())
        .map_err(io_err("write", &path))?;
    file.sync_all().map_err(io_err("fsync", &path))
}

/// Checks a publication directory against its `SHA256SUMS`; returns the problems found.
pub fn verify(dir: &Path) -> Result<Vec<String>, PublishError> {
    let sums_path = dir.join(SUMS_FILE);
    let sums = fs::read_to_string(&sums_path).map_err(io_err("read", &sums_path))?;
    let mut problems = Vec::new();
    let mut listed = Vec::new();
    for line in sums.lines() {
        let Some((hash, name)) = line.split_once("  ") else {
            problems.push(format!("malformed line {line:?}"));
            continue;
        };
        listed.push(name.to_owned());
        match fs::read(dir.join(name)) {
            Ok(bytes) if hex::encode(Sha256::digest(&bytes)) == hash => {}
            Ok(_) => problems.push(format!("{name}: checksum differs")),
            Err(e) => problems.push(format!("{name}: {e}")),
        }
    }
    for name in top_level_files(dir)? {
        if name != SUMS_FILE && !listed.contains(&name) {
            problems.push(format!("{name}: not listed in {SUMS_FILE}"));
        }
    }
    Ok(problems)
}
