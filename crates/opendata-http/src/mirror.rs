//! Large bodies mirrored in sealed memory files, so the socket writer sends them with
//! `sendfile(2)` instead of copying them out of the process on every answer.
//!
//! hyper hands the connection's writer plain byte slices, so the writer cannot tell a body
//! from a header buffer. An [`Entity`](crate::Entity) therefore registers each large
//! representation here, keyed by the address of its bytes; the writer looks every slice up
//! and, when it lies inside a registered body, sends the same bytes from the mirror file at
//! the same offset. Copying 390 KB into the socket was 44 % of the CPU of a file answer
//! (perf, `cargo xtask bench-serve`); nginx sends files with sendfile and does not pay it.
//!
//! Invariants that make the lookup sound:
//! - A registration holds a clone of the bytes it describes, and leaves the registry before
//!   that clone is dropped ([`Mirror`]'s `Drop`). While an address is registered its memory
//!   is therefore allocated and cannot be reused by other bytes.
//! - `Bytes` never moves or changes its contents, and the mirror file is sealed against
//!   writes and resizing once filled, so the file holds exactly the registered bytes.
//! - Anything that fails (no memfd, a full tmpfs) leaves the body unregistered: it is then
//!   written by copying, as before.

use bytes::Bytes;
use std::collections::BTreeMap;
use std::io::Write as _;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

/// Bodies shorter than this are copied: below it the extra system call and the mirror's
/// memory are not worth it.
pub const MIN_MIRROR_LEN: usize = 32 * 1024;

/// The mirrors of one entity's representations (identity and gzip), made when one is sent a
/// second time: an entity made for a single answer (nkod-server reads its files per
/// request) would pay for a mirror that is never used.
#[derive(Debug, Default)]
pub(crate) struct Mirrors {
    cells: [OnceLock<Option<Mirror>>; 2],
    answered: [AtomicBool; 2],
}

impl Mirrors {
    /// Notes that `body`, representation `which` (0 identity, 1 gzip), is being sent.
    pub(crate) fn note_answer(&self, which: usize, body: &Bytes) {
        if body.len() < MIN_MIRROR_LEN {
            return;
        }
        if let (Some(cell), Some(answered)) = (self.cells.get(which), self.answered.get(which))
            && cell.get().is_none()
            && answered.swap(true, Ordering::Relaxed)
        {
            cell.get_or_init(|| Mirror::new(body));
        }
    }
}

/// A registered body; unregisters on drop.
#[derive(Debug)]
pub(crate) struct Mirror {
    start: usize,
    file: Arc<OwnedFd>,
    /// Keeps the registered memory allocated (see the module's invariants).
    _bytes: Bytes,
}

/// A slice found inside a registered body: the mirror file and the slice's offset in it.
#[derive(Debug)]
pub(crate) struct Found {
    pub(crate) file: Arc<OwnedFd>,
    pub(crate) offset: u64,
}

#[derive(Debug)]
struct Entry {
    len: usize,
    file: Arc<OwnedFd>,
}

/// Registered bodies by start address.
static REGISTRY: RwLock<BTreeMap<usize, Entry>> = RwLock::new(BTreeMap::new());

impl Mirror {
    /// Writes `bytes` into a new sealed memory file and registers it; `None` when the body is
    /// short or the file cannot be made (the body is then sent by copying).
    pub(crate) fn new(bytes: &Bytes) -> Option<Self> {
        if bytes.len() < MIN_MIRROR_LEN {
            return None;
        }
        let file = match mirror_file(bytes) {
            Ok(file) => Arc::new(file),
            Err(e) => {
                tracing::debug!("no sendfile mirror for a {} byte body: {e}", bytes.len());
                return None;
            }
        };
        let start = bytes.as_ptr() as usize;
        REGISTRY
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                start,
                Entry {
                    len: bytes.len(),
                    file: Arc::clone(&file),
                },
            );
        Some(Self {
            start,
            file,
            _bytes: bytes.clone(),
        })
    }
}

impl Drop for Mirror {
    fn drop(&mut self) {
        let mut registry = REGISTRY.write().unwrap_or_else(PoisonError::into_inner);
        // Another body of the same address cannot exist while ours is held (see above); the
        // check keeps a foreign entry even so.
        if registry
            .get(&self.start)
            .is_some_and(|entry| Arc::ptr_eq(&entry.file, &self.file))
        {
            registry.remove(&self.start);
        }
    }
}

/// The mirror holding `slice`, if it lies wholly inside one registered body.
pub(crate) fn find(slice: &[u8]) -> Option<Found> {
    if slice.is_empty() {
        return None;
    }
    let address = slice.as_ptr() as usize;
    let registry = REGISTRY.read().unwrap_or_else(PoisonError::into_inner);
    let (start, entry) = registry.range(..=address).next_back()?;
    let offset = address - start;
    (offset.checked_add(slice.len())? <= entry.len).then(|| Found {
        file: Arc::clone(&entry.file),
        offset: offset as u64,
    })
}

/// A memory file holding `bytes`, sealed so it can never differ from them.
fn mirror_file(bytes: &[u8]) -> std::io::Result<OwnedFd> {
    use rustix::fs::{MemfdFlags, SealFlags};
    let fd = rustix::fs::memfd_create(
        "opendata-http-body",
        MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING,
    )?;
    let mut file = std::fs::File::from(fd);
    file.write_all(bytes)?;
    let fd = OwnedFd::from(file);
    rustix::fs::fcntl_add_seals(
        &fd,
        SealFlags::WRITE | SealFlags::SHRINK | SealFlags::GROW | SealFlags::SEAL,
    )?;
    Ok(fd)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::FileExt as _;

    fn body(len: usize) -> Bytes {
        Bytes::from((0..len).map(|i| (i % 251) as u8).collect::<Vec<u8>>())
    }

    #[test]
    fn finds_interior_slices_with_their_offset() {
        let bytes = body(100_000);
        let mirror = Mirror::new(&bytes).unwrap();
        let found = find(&bytes[1000..2000]).unwrap();
        assert_eq!(found.offset, 1000);
        assert!(Arc::ptr_eq(&found.file, &mirror.file));
        assert_eq!(find(&bytes[..]).unwrap().offset, 0);
        // A slice of other memory, or one running past the body, is not found.
        let other = body(100_000);
        assert!(find(&other[..]).is_none());
        drop(mirror);
        assert!(find(&bytes[1000..2000]).is_none());
    }

    #[test]
    fn the_file_holds_the_bytes_and_is_sealed() {
        let bytes = body(MIN_MIRROR_LEN + 17);
        let mirror = Mirror::new(&bytes).unwrap();
        let mut file = std::fs::File::from(mirror.file.try_clone().unwrap());
        let mut read = vec![0; bytes.len()];
        file.read_exact_at(&mut read, 0).unwrap();
        assert_eq!(read, bytes);
        assert_eq!(file.metadata().unwrap().len(), bytes.len() as u64);
        // Sealed: neither written nor grown.
        assert!(file.write_all(b"x").is_err());
        assert!(file.set_len(1).is_err());
    }

    #[test]
    fn short_bodies_are_not_mirrored() {
        assert!(Mirror::new(&body(MIN_MIRROR_LEN - 1)).is_none());
    }
}
