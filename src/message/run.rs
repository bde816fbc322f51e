//! Many drafts: walk the inputs lazily (one directory listing in memory at a time), audit the
//! drafts on a few worker threads, and hand each result on in walk order as soon as it and all
//! before it are done. Memory is bounded by the window of drafts in flight, not by the number
//! of files. The sequence result of a directory follows its last touch.

use super::audit::{DraftAudit, DraftOptions, audit_file, unreadable_finding};
use super::sequence::{self, SequenceFacts, Touch};
use crate::finding::Finding;
use crate::rules::Rules;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, mpsc};

/// One result of a message run.
#[derive(Debug)]
pub enum MessageResult {
    /// One draft (`kind: "draft"`).
    Draft(Box<DraftAudit>),
    /// The drafts of one directory as a sequence (`kind: "sequence"`), when it has two or more.
    Sequence {
        dir: String,
        facts: SequenceFacts,
        findings: Vec<Finding>,
    },
    /// A directory that could not be listed (`kind: "directory"`).
    Directory { dir: String, findings: Vec<Finding> },
}

impl MessageResult {
    /// The findings of the result, whatever its kind.
    pub fn findings_mut(&mut self) -> &mut Vec<Finding> {
        match self {
            MessageResult::Draft(audit) => &mut audit.findings,
            MessageResult::Sequence { findings, .. }
            | MessageResult::Directory { findings, .. } => findings,
        }
    }
}

/// True for a file name ending in `.eml` (any case).
pub fn is_draft_name(name: &std::ffi::OsStr) -> bool {
    Path::new(name)
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("eml"))
}

/// True when `dir` holds at least one `.eml` file at any depth (stops at the first).
pub fn has_drafts(dir: &Path) -> bool {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                stack.push(entry.path());
            } else if is_draft_name(&entry.file_name()) {
                return true;
            }
        }
    }
    false
}

/// One thing the walk found.
enum Item {
    Draft { path: PathBuf, group: Option<usize> },
    BadDir { dir: PathBuf, error: std::io::Error },
}

/// An entry of a listed directory: a draft, or a subdirectory to list when the walk gets there.
enum Entry {
    Draft { path: PathBuf, group: usize },
    Dir(PathBuf),
}

/// A directory of drafts: its display name and how many drafts it has.
struct Group {
    dir: String,
    expected: usize,
    touches: Vec<Touch>,
}

/// The lazy walk over the inputs, in order: each directory's entries sorted by name, files and
/// subdirectories together (depth first). Files named on the command line are grouped by their
/// parent directory; a directory's `.eml` files at any depth are drafts. Symbolic links to
/// directories are not followed (no loops); links to files are.
struct Walk {
    inputs: std::vec::IntoIter<PathBuf>,
    /// Directories being listed: the entries left of each.
    stack: Vec<std::vec::IntoIter<Entry>>,
    groups: HashMap<usize, Group>,
    next_group: usize,
    /// Group of each parent directory of the files named on the command line.
    named: BTreeMap<PathBuf, usize>,
}

impl Walk {
    fn new(inputs: &[PathBuf]) -> Walk {
        let mut walk = Walk {
            inputs: Vec::from(inputs).into_iter(),
            stack: Vec::new(),
            groups: HashMap::new(),
            next_group: 0,
            named: BTreeMap::new(),
        };
        // Files named on the command line: one group per parent directory.
        let mut counts: BTreeMap<PathBuf, usize> = BTreeMap::new();
        for path in inputs.iter().filter(|p| !p.is_dir()) {
            *counts.entry(parent_of(path)).or_default() += 1;
        }
        for (parent, count) in counts {
            let id = walk.new_group(display_dir(&parent), count);
            walk.named.insert(parent, id);
        }
        walk
    }

    fn new_group(&mut self, dir: String, expected: usize) -> usize {
        let id = self.next_group;
        self.next_group += 1;
        self.groups.insert(
            id,
            Group {
                dir,
                expected,
                touches: Vec::new(),
            },
        );
        id
    }

    /// List one directory: its drafts form a group; subdirectories are listed when the walk
    /// reaches them.
    fn list(&mut self, dir: &Path) -> Result<Vec<Entry>, std::io::Error> {
        let mut entries: Vec<(std::ffi::OsString, PathBuf, bool)> = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let name = entry.file_name();
            // `a.eml`, not `./a.eml`, in the working directory: the one form of a path
            // (`crate::path`) that targets and ignores use.
            let path = if dir == Path::new(".") {
                PathBuf::from(&name)
            } else {
                entry.path()
            };
            if kind.is_dir() {
                entries.push((name, path, true));
            } else if is_draft_name(&name) && (kind.is_file() || path.is_file()) {
                entries.push((name, path, false));
            }
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let drafts = entries.iter().filter(|e| !e.2).count();
        let group = self.new_group(display_dir(dir), drafts);
        Ok(entries
            .into_iter()
            .map(|(_, path, is_dir)| {
                if is_dir {
                    Entry::Dir(path)
                } else {
                    Entry::Draft { path, group }
                }
            })
            .collect())
    }

    /// Record a finished touch of group `id`; after its last one, the group's sequence result
    /// (for two touches or more).
    fn touch(&mut self, id: usize, touch: Touch, rules: &Rules) -> Option<MessageResult> {
        let group = self.groups.get_mut(&id)?;
        group.touches.push(touch);
        if group.touches.len() < group.expected {
            return None;
        }
        let group = self.groups.remove(&id)?;
        if group.touches.len() < 2 {
            return None;
        }
        let (facts, findings) = sequence::check(&group.dir, &group.touches, rules);
        Some(MessageResult::Sequence {
            dir: group.dir,
            facts,
            findings,
        })
    }

    fn descend(&mut self, dir: PathBuf) -> Option<Item> {
        match self.list(&dir) {
            Ok(items) => {
                self.stack.push(items.into_iter());
                None
            }
            Err(error) => Some(Item::BadDir { dir, error }),
        }
    }
}

fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn display_dir(dir: &Path) -> String {
    let text = dir.display().to_string();
    let trimmed = text.trim_end_matches('/');
    if trimmed.is_empty() {
        text
    } else {
        trimmed.to_string()
    }
}

impl Iterator for Walk {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
            if let Some(top) = self.stack.last_mut() {
                match top.next() {
                    Some(Entry::Dir(dir)) => {
                        if let Some(bad) = self.descend(dir) {
                            return Some(bad);
                        }
                    }
                    Some(Entry::Draft { path, group }) => {
                        return Some(Item::Draft {
                            path,
                            group: Some(group),
                        });
                    }
                    None => {
                        self.stack.pop();
                    }
                }
                continue;
            }
            let input = self.inputs.next()?;
            if input.is_dir() {
                if let Some(bad) = self.descend(input) {
                    return Some(bad);
                }
            } else {
                let group = self.named.get(&parent_of(&input)).copied();
                return Some(Item::Draft { path: input, group });
            }
        }
    }
}

struct Job {
    index: u64,
    path: PathBuf,
}

/// A finished item waiting for its turn.
enum Done {
    Draft(Result<DraftAudit, String>),
    BadDir { dir: String, finding: Finding },
}

/// Audit every draft under `inputs` on `workers` threads and hand each result to `each` in
/// walk order; a directory's sequence result follows its last draft. An audit that panicked
/// (a bug) reaches `each` as `Err(path)`, so it is never silently missing. Stops at the first
/// error `each` returns.
pub fn audit_paths<E>(
    inputs: &[PathBuf],
    rules: &Rules,
    options: &DraftOptions,
    workers: usize,
    mut each: impl FnMut(Result<MessageResult, String>) -> Result<(), E>,
) -> Result<(), E> {
    let workers = workers.max(1);
    // Drafts dispatched but not yet handed on: bounds the memory of out-of-order results.
    let window = (workers * 64) as u64;
    let (job_tx, job_rx) = mpsc::channel::<Job>();
    let job_rx = Mutex::new(job_rx);
    let (done_tx, done_rx) = mpsc::channel::<(u64, Result<DraftAudit, String>)>();
    let mut walk = Walk::new(inputs);

    std::thread::scope(|scope| {
        for _ in 0..workers {
            let done_tx = done_tx.clone();
            let job_rx = &job_rx;
            scope.spawn(move || {
                loop {
                    let job = match job_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok(job) = job else { return };
                    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        audit_file(&job.path, rules, options)
                    }))
                    .map_err(|_| job.path.display().to_string());
                    if done_tx.send((job.index, outcome)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);

        let result = (|| {
            let mut dispatched: u64 = 0;
            let mut next: u64 = 0;
            let mut waiting: BTreeMap<u64, Done> = BTreeMap::new();
            let mut group_of: HashMap<u64, usize> = HashMap::new();
            let mut walk_done = false;
            loop {
                while !walk_done && dispatched - next < window {
                    match walk.next() {
                        None => walk_done = true,
                        Some(Item::Draft { path, group }) => {
                            if let Some(group) = group {
                                group_of.insert(dispatched, group);
                            }
                            if job_tx
                                .send(Job {
                                    index: dispatched,
                                    path,
                                })
                                .is_err()
                            {
                                walk_done = true;
                            }
                            dispatched += 1;
                        }
                        Some(Item::BadDir { dir, error }) => {
                            // Only when nothing is pending, so results stay in walk order.
                            let dir = display_dir(&dir);
                            let finding = unreadable_finding(rules, &dir, &error);
                            if next == dispatched {
                                each(Ok(MessageResult::Directory {
                                    dir,
                                    findings: vec![finding],
                                }))?;
                            } else {
                                waiting.insert(dispatched, Done::BadDir { dir, finding });
                                dispatched += 1;
                            }
                        }
                    }
                }
                if next == dispatched {
                    return Ok(());
                }
                if !waiting.contains_key(&next) {
                    match done_rx.recv() {
                        Ok((index, outcome)) => {
                            waiting.insert(index, Done::Draft(outcome));
                        }
                        // Every worker is gone: nothing more will come.
                        Err(_) => return Ok(()),
                    }
                }
                while let Some(outcome) = waiting.remove(&next) {
                    let group = group_of.remove(&next);
                    next += 1;
                    match outcome {
                        Done::BadDir { dir, finding } => {
                            each(Ok(MessageResult::Directory {
                                dir,
                                findings: vec![finding],
                            }))?;
                        }
                        Done::Draft(Ok(audit)) => {
                            let touch = audit.touch.clone();
                            each(Ok(MessageResult::Draft(Box::new(audit))))?;
                            if let Some(sequence) =
                                group.and_then(|id| walk.touch(id, touch, rules))
                            {
                                each(Ok(sequence))?;
                            }
                        }
                        Done::Draft(Err(path)) => each(Err(path))?,
                    }
                }
            }
        })();
        // Let the workers go: no more jobs, and drop the ones still queued.
        drop(job_tx);
        if let Ok(rx) = job_rx.lock() {
            while rx.try_recv().is_ok() {}
        }
        result
    })
}
