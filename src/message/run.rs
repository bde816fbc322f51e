//! Many drafts: walk the inputs lazily (one directory listing in memory at a time), audit the
//! drafts on a few worker threads, and hand each result on in walk order as soon as it and all
//! before it are done. Memory is bounded by the window of drafts in flight, not by the number
//! of files. The sequence result of a directory follows its last touch.
//!
//! A sequence is always a whole directory: when files are named (a pre-commit hook passes only
//! the changed ones), the other drafts of their directory are read too, for the sequence
//! checks only. Touch numbers are positions in the directory, and only the named files get
//! draft results.

use super::audit::{DraftAudit, DraftOptions, audit_failed, audit_file, unreadable_finding};
use super::rules::{TOO_LARGE, UNREADABLE};
use super::sequence::{self, SequenceFacts, Touch};
use crate::finding::Finding;
use crate::rules::Rules;
use std::collections::{BTreeMap, HashMap, VecDeque};
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

/// A draft's place in a sequence: its group and its position there (0-based, file-name
/// order).
#[derive(Clone, Copy, Debug)]
struct Slot {
    group: usize,
    position: usize,
}

/// One thing the walk found.
enum Item {
    /// A draft to audit. `report` is false for a sibling read only for the sequence checks.
    Draft {
        path: PathBuf,
        slot: Option<Slot>,
        report: bool,
    },
    BadDir {
        dir: PathBuf,
        error: std::io::Error,
    },
}

/// An entry of a listed directory: a draft, or a subdirectory to list when the walk gets there.
enum Entry {
    Draft { path: PathBuf, slot: Slot },
    Dir(PathBuf),
}

/// A directory of drafts: its display name, its touches by position (filled as they finish)
/// and the findings of siblings that could not be read.
struct Group {
    dir: String,
    touches: Vec<Option<Touch>>,
    missing: usize,
    findings: Vec<Finding>,
}

/// The directory of files named on the command line: its drafts in order, which of them were
/// named, and whether the walk has queued the others yet.
struct NamedDir {
    group: usize,
    /// Position of each draft by path.
    positions: HashMap<PathBuf, usize>,
    /// The drafts not named, read for the sequence checks only.
    siblings: Vec<(PathBuf, usize)>,
    queued: bool,
}

/// The lazy walk over the inputs, in order: each directory's entries sorted by name, files and
/// subdirectories together (depth first). Files named on the command line are grouped by their
/// parent directory; a directory's `.eml` files at any depth are drafts. Symbolic links to
/// directories are not followed (no loops); links to files are.
struct Walk {
    inputs: std::vec::IntoIter<PathBuf>,
    /// Directories being listed: the entries left of each.
    stack: Vec<std::vec::IntoIter<Entry>>,
    /// Items to hand out before anything else: the siblings of a named file, and a parent
    /// directory that could not be listed.
    pending: VecDeque<Item>,
    groups: HashMap<usize, Group>,
    next_group: usize,
    /// The parent directory of each file named on the command line.
    named: BTreeMap<PathBuf, NamedDir>,
}

impl Walk {
    fn new(inputs: &[PathBuf]) -> Walk {
        let mut walk = Walk {
            inputs: Vec::from(inputs).into_iter(),
            stack: Vec::new(),
            pending: VecDeque::new(),
            groups: HashMap::new(),
            next_group: 0,
            named: BTreeMap::new(),
        };
        // Files named on the command line: one group per parent directory, holding every
        // draft of that directory (the listing `message DIR` makes), named or not.
        let mut named_files: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
        for path in inputs.iter().filter(|p| !p.is_dir()) {
            let files = named_files.entry(parent_of(path)).or_default();
            if !files.contains(path) {
                files.push(path.clone());
            }
        }
        for (parent, files) in named_files {
            let listing = match list_drafts(&parent, &files) {
                Ok(listing) => listing,
                Err(error) => {
                    // The sequence is judged from the named files alone, and the directory
                    // that could not be listed is reported.
                    walk.pending.push_back(Item::BadDir {
                        dir: parent.clone(),
                        error,
                    });
                    files.clone()
                }
            };
            // Named files the listing does not hold (another extension) come last.
            let mut order = listing;
            for file in &files {
                if !order.contains(file) {
                    order.push(file.clone());
                }
            }
            let group = walk.new_group(display_dir(&parent), order.len());
            let mut positions = HashMap::new();
            let mut siblings = Vec::new();
            for (position, path) in order.into_iter().enumerate() {
                if files.contains(&path) {
                    positions.insert(path, position);
                } else {
                    siblings.push((path, position));
                }
            }
            walk.named.insert(
                parent,
                NamedDir {
                    group,
                    positions,
                    siblings,
                    queued: false,
                },
            );
        }
        walk
    }

    fn new_group(&mut self, dir: String, touches: usize) -> usize {
        let id = self.next_group;
        self.next_group += 1;
        self.groups.insert(
            id,
            Group {
                dir,
                touches: vec![None; touches],
                missing: touches,
                findings: Vec::new(),
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
        let mut position = 0;
        Ok(entries
            .into_iter()
            .map(|(_, path, is_dir)| {
                if is_dir {
                    Entry::Dir(path)
                } else {
                    position += 1;
                    Entry::Draft {
                        path,
                        slot: Slot {
                            group,
                            position: position - 1,
                        },
                    }
                }
            })
            .collect())
    }

    /// Record a finished touch; after the group's last one, its sequence result (for two
    /// touches or more). `findings` are a sibling's own findings that the sequence reports
    /// (it could not be read).
    fn touch(
        &mut self,
        slot: Slot,
        touch: Touch,
        findings: Vec<Finding>,
        rules: &Rules,
    ) -> Option<MessageResult> {
        let group = self.groups.get_mut(&slot.group)?;
        let entry = group.touches.get_mut(slot.position)?;
        if entry.is_none() {
            group.missing -= 1;
        }
        *entry = Some(touch);
        group.findings.extend(findings);
        if group.missing > 0 {
            return None;
        }
        let group = self.groups.remove(&slot.group)?;
        let touches: Vec<Touch> = group.touches.into_iter().flatten().collect();
        if touches.len() < 2 {
            return None;
        }
        let (facts, mut findings) = sequence::check(&group.dir, &touches, rules);
        findings.extend(group.findings);
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

/// The drafts of `dir` (not of its subdirectories), in file-name order, as `list` sees them.
/// A named file keeps the spelling it was given; the others are `dir` joined with their
/// name (just the name when `dir` is the working directory that a bare file name implies).
fn list_drafts(dir: &Path, named: &[PathBuf]) -> Result<Vec<PathBuf>, std::io::Error> {
    let bare = named
        .iter()
        .all(|p| p.parent().is_none_or(|p| p.as_os_str().is_empty()));
    let mut drafts: Vec<(std::ffi::OsString, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let name = entry.file_name();
        if kind.is_dir() || !is_draft_name(&name) || !(kind.is_file() || entry.path().is_file()) {
            continue;
        }
        let path = if bare {
            PathBuf::from(&name)
        } else {
            dir.join(&name)
        };
        drafts.push((name, path));
    }
    drafts.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(drafts
        .into_iter()
        .map(|(name, path)| {
            named
                .iter()
                .find(|p| p.file_name() == Some(name.as_os_str()))
                .cloned()
                .unwrap_or(path)
        })
        .collect())
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
            if let Some(item) = self.pending.pop_front() {
                return Some(item);
            }
            if let Some(top) = self.stack.last_mut() {
                match top.next() {
                    Some(Entry::Dir(dir)) => {
                        if let Some(bad) = self.descend(dir) {
                            return Some(bad);
                        }
                    }
                    Some(Entry::Draft { path, slot }) => {
                        return Some(Item::Draft {
                            path,
                            slot: Some(slot),
                            report: true,
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
                let Some(named) = self.named.get_mut(&parent_of(&input)) else {
                    return Some(Item::Draft {
                        path: input,
                        slot: None,
                        report: true,
                    });
                };
                // A file named twice is audited twice but is one touch.
                let slot = named.positions.remove(&input).map(|position| Slot {
                    group: named.group,
                    position,
                });
                if !named.queued {
                    // The siblings follow the first named file of their directory.
                    named.queued = true;
                    let group = named.group;
                    for (path, position) in std::mem::take(&mut named.siblings) {
                        self.pending.push_back(Item::Draft {
                            path,
                            slot: Some(Slot { group, position }),
                            report: false,
                        });
                    }
                }
                return Some(Item::Draft {
                    path: input,
                    slot,
                    report: true,
                });
            }
        }
    }
}

struct Job {
    index: u64,
    path: PathBuf,
    /// A sibling, read for the sequence checks only (no DKIM verification, no result).
    sibling: bool,
}

/// What the sequence result keeps of a sibling's own findings: that it could not be read
/// (within --max-size).
fn sibling_findings(audit: DraftAudit) -> Vec<Finding> {
    audit
        .findings
        .into_iter()
        .filter(|f| f.rule == UNREADABLE || f.rule == TOO_LARGE)
        .map(|mut f| {
            f.message
                .push_str(" (read for the sequence checks of the drafts given)");
            f
        })
        .collect()
}

/// Stack of each audit worker thread.
const WORKER_STACK: usize = 16 * 1024 * 1024;

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
    let sibling_options = DraftOptions {
        dkim: None,
        ..options.clone()
    };
    let sibling_options = &sibling_options;

    std::thread::scope(|scope| {
        let work = |done_tx: mpsc::Sender<(u64, Result<DraftAudit, String>)>| {
            let job_rx = &job_rx;
            move || {
                loop {
                    let job = match job_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok(job) = job else { return };
                    let draft_options = if job.sibling {
                        sibling_options
                    } else {
                        options
                    };
                    // A panic (a bug) is a finding on that draft; the run goes on.
                    let audit = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        audit_file(&job.path, rules, draft_options)
                    }))
                    .unwrap_or_else(|_| audit_failed(&job.path, rules, draft_options));
                    if done_tx.send((job.index, Ok(audit))).is_err() {
                        return;
                    }
                }
            }
        };
        for _ in 0..workers {
            // A larger stack than the default 2 MiB, as defence in depth: the HTML tokenizer
            // recurses per attribute of a tag (bounded in `body::doc`).
            let spawned = std::thread::Builder::new()
                .stack_size(WORKER_STACK)
                .spawn_scoped(scope, work(done_tx.clone()));
            if spawned.is_err() {
                scope.spawn(work(done_tx.clone()));
            }
        }
        drop(done_tx);

        let result = (|| {
            let mut dispatched: u64 = 0;
            let mut next: u64 = 0;
            let mut waiting: BTreeMap<u64, Done> = BTreeMap::new();
            let mut slot_of: HashMap<u64, Slot> = HashMap::new();
            let mut siblings: std::collections::HashSet<u64> = Default::default();
            let mut walk_done = false;
            loop {
                while !walk_done && dispatched - next < window {
                    match walk.next() {
                        None => walk_done = true,
                        Some(Item::Draft { path, slot, report }) => {
                            if let Some(slot) = slot {
                                slot_of.insert(dispatched, slot);
                            }
                            if !report {
                                siblings.insert(dispatched);
                            }
                            if job_tx
                                .send(Job {
                                    index: dispatched,
                                    path,
                                    sibling: !report,
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
                    let slot = slot_of.remove(&next);
                    let sibling = siblings.remove(&next);
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
                            let findings = if sibling {
                                sibling_findings(audit)
                            } else {
                                each(Ok(MessageResult::Draft(Box::new(audit))))?;
                                Vec::new()
                            };
                            if let Some(sequence) =
                                slot.and_then(|slot| walk.touch(slot, touch, findings, rules))
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
