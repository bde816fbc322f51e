//! Temporary report files that a signal must not leave behind: [`Output`](super::Output)
//! registers its temporary file while it is being written, and the binary's SIGINT/SIGTERM
//! handler calls [`remove_all`] before it exits.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn pending() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    PENDING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A temporary file known to [`remove_all`] until this is dropped.
#[derive(Debug)]
pub struct Registered(PathBuf);

impl Registered {
    pub fn new(path: &Path) -> Registered {
        pending().push(path.to_path_buf());
        Registered(path.to_path_buf())
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        let mut pending = pending();
        if let Some(at) = pending.iter().position(|p| *p == self.0) {
            pending.swap_remove(at);
        }
    }
}

/// Remove every temporary report file still being written; returns how many were removed.
pub fn remove_all() -> usize {
    let mut pending = pending();
    let mut removed = 0;
    for path in pending.drain(..) {
        if std::fs::remove_file(&path).is_ok() {
            removed += 1;
        }
    }
    removed
}
