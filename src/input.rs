//! The one way input files are opened and read: only regular files, never more than a limit.
//!
//! A FIFO, a device, a socket or a directory given where a file is expected is refused at
//! once (a FIFO with no writer would block the run, a device such as `/dev/zero` never ends);
//! a file over its kind's limit is refused without reading it, and a file that grows while
//! it is read stops at the limit plus one byte. Each [`InputKind`] has one limit, documented
//! in `docs/limits.md` (a test holds the table and [`InputKind::ALL`] together).
//!
//! A leaf: it imports only [`crate::path`], to name files in their one form.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

const KIB: u64 = 1 << 10;
const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// The kinds of file mailaudit reads, each with its default limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    ZoneFile,
    DomainsFile,
    RulesFile,
    CampaignFile,
    StatsFile,
    Draft,
    /// A file `mailaudit reports` reads: a report (bare, gzip, zip), a message, an mbox.
    Report,
    /// A file `mailaudit feedback` reads: a bounce or complaint message, an mbox of them.
    Feedback,
    /// The recipients CSV `mailaudit list` reads, streamed.
    Recipients,
    /// A suppression list: `mailaudit list --suppressions` streams it; `mailaudit feedback
    /// --suppress-out` reads an existing one whole and merges into it.
    SuppressionList,
}

impl InputKind {
    /// Every kind, in the order of the table in `docs/limits.md`.
    pub const ALL: [InputKind; 10] = [
        InputKind::ZoneFile,
        InputKind::DomainsFile,
        InputKind::RulesFile,
        InputKind::CampaignFile,
        InputKind::StatsFile,
        InputKind::Draft,
        InputKind::Report,
        InputKind::Recipients,
        InputKind::SuppressionList,
        InputKind::Feedback,
    ];

    /// How a message names one file of this kind.
    pub fn noun(self) -> &'static str {
        match self {
            InputKind::ZoneFile => "zone file",
            InputKind::DomainsFile => "domains file",
            InputKind::RulesFile => "rules file",
            InputKind::CampaignFile => "campaign file",
            InputKind::StatsFile => "stats file",
            InputKind::Draft => "draft",
            InputKind::Report => "report file",
            InputKind::Feedback => "feedback file",
            InputKind::Recipients => "recipients file",
            InputKind::SuppressionList => "suppression list",
        }
    }

    fn plural(self) -> &'static str {
        match self {
            InputKind::ZoneFile => "zone files",
            InputKind::DomainsFile => "domains files",
            InputKind::RulesFile => "rules files",
            InputKind::CampaignFile => "campaign files",
            InputKind::StatsFile => "stats files",
            InputKind::Draft => "drafts",
            InputKind::Report => "report files",
            InputKind::Feedback => "feedback files",
            InputKind::Recipients => "recipients files",
            InputKind::SuppressionList => "suppression lists",
        }
    }

    /// The limit when the user sets none, in bytes. Zone files can be large (a provider's
    /// whole zone); configuration is written by hand; a year of daily stats per IP and
    /// provider is tens of megabytes.
    pub fn default_limit(self) -> u64 {
        match self {
            InputKind::ZoneFile => 64 * MIB,
            InputKind::DomainsFile => 64 * MIB,
            InputKind::RulesFile | InputKind::CampaignFile => MIB,
            InputKind::StatsFile => GIB,
            InputKind::Draft => 10_000_000,
            // A large mbox of a month's reports; each report inside expands to at most
            // reports::MAX_EXPANDED.
            InputKind::Report => GIB,
            // An mbox of a month's bounces; each message in it is at most
            // feedback::read::MAX_MESSAGE.
            InputKind::Feedback => GIB,
            // Streamed: a file of tens of millions of rows; memory grows with distinct
            // addresses, not with the file.
            InputKind::Recipients | InputKind::SuppressionList => GIB,
        }
    }

    /// The flag that raises the limit, when there is one.
    pub fn flag(self) -> Option<&'static str> {
        match self {
            InputKind::ZoneFile => Some("--max-zone-size"),
            InputKind::Draft => Some("--max-size"),
            InputKind::Report => Some("--max-report-size"),
            InputKind::Feedback => Some("--max-feedback-size"),
            InputKind::Recipients => Some("--max-list-size"),
            _ => None,
        }
    }
}

impl fmt::Display for InputKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.noun())
    }
}

/// The longest line of a stats file (CSV) or one row (JSON), in bytes.
pub const MAX_STATS_RECORD: usize = 64 * KIB as usize;

/// What a path names when it is not a regular file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotAFile {
    Directory,
    Fifo,
    CharDevice,
    BlockDevice,
    Socket,
    Other,
}

impl NotAFile {
    fn of(kind: std::fs::FileType) -> Option<NotAFile> {
        if kind.is_file() {
            None
        } else if kind.is_dir() {
            Some(NotAFile::Directory)
        } else if kind.is_fifo() {
            Some(NotAFile::Fifo)
        } else if kind.is_char_device() {
            Some(NotAFile::CharDevice)
        } else if kind.is_block_device() {
            Some(NotAFile::BlockDevice)
        } else if kind.is_socket() {
            Some(NotAFile::Socket)
        } else {
            Some(NotAFile::Other)
        }
    }
}

impl fmt::Display for NotAFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NotAFile::Directory => "a directory",
            NotAFile::Fifo => "a FIFO (named pipe)",
            NotAFile::CharDevice => "a character device",
            NotAFile::BlockDevice => "a block device",
            NotAFile::Socket => "a socket",
            NotAFile::Other => "not a regular file",
        })
    }
}

/// An input file that could not be read. Every variant names the file and its kind.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// `error` is not a `#[source]`: the message already says it, and a report chain
    /// would say it twice.
    #[error("cannot read {kind} {file}: {}", io_reason(error))]
    Open {
        kind: InputKind,
        file: String,
        error: io::Error,
    },
    #[error("{kind} {file} is {what}, not a regular file")]
    NotAFile {
        kind: InputKind,
        file: String,
        what: NotAFile,
    },
    #[error("{kind} {file} is over the {} limit for {}{}", size(*limit), kind.plural(), flag_hint(*kind))]
    TooLarge {
        kind: InputKind,
        file: String,
        limit: u64,
    },
    #[error("{kind} {file} is not UTF-8 text")]
    NotUtf8 { kind: InputKind, file: String },
}

impl InputError {
    /// The file, as the error names it.
    pub fn file(&self) -> &str {
        match self {
            InputError::Open { file, .. }
            | InputError::NotAFile { file, .. }
            | InputError::TooLarge { file, .. }
            | InputError::NotUtf8 { file, .. } => file,
        }
    }

    /// What is wrong, without the file's name: for messages that name it already.
    pub fn reason(&self) -> String {
        match self {
            InputError::Open { error, .. } => io_reason(error),
            InputError::NotAFile { what, .. } => format!("it is {what}, not a regular file"),
            InputError::TooLarge { kind, limit, .. } => format!(
                "it is over the {} limit for {}{}",
                size(*limit),
                kind.plural(),
                flag_hint(*kind)
            ),
            InputError::NotUtf8 { .. } => "it is not UTF-8 text".into(),
        }
    }

    /// As an I/O error, for readers whose errors carry one (the message is [`Self::reason`];
    /// an open error stays the error it was).
    pub fn into_io(self) -> io::Error {
        match self {
            InputError::Open { error, .. } => error,
            other => io::Error::other(other.reason()),
        }
    }
}

fn io_reason(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => "no such file or directory".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => error.to_string(),
    }
}

fn flag_hint(kind: InputKind) -> String {
    kind.flag().map(|f| format!(" ({f})")).unwrap_or_default()
}

/// A size as the limits table writes it: whole GiB, MiB or KiB when exact, else bytes
/// (`--max-size 10MB` is 10000000 bytes).
pub fn size(bytes: u64) -> String {
    for (unit, name) in [(GIB, "GiB"), (MIB, "MiB"), (KIB, "KiB")] {
        if bytes >= unit && bytes.is_multiple_of(unit) {
            return format!("{} {name}", bytes / unit);
        }
    }
    format!("{bytes} bytes")
}

/// Open `path` for reading if it is a regular file. The open never blocks: a FIFO is opened
/// without waiting for a writer, then refused with the rest by the type of what was opened
/// (no window between a check and the open).
pub fn open(path: &Path, kind: InputKind) -> Result<File, InputError> {
    let file_name = || crate::path::display(path);
    let open_error = |error| InputError::Open {
        kind,
        file: file_name(),
        error,
    };
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(open_error)?;
    let meta = file.metadata().map_err(open_error)?;
    if let Some(what) = NotAFile::of(meta.file_type()) {
        return Err(InputError::NotAFile {
            kind,
            file: file_name(),
            what,
        });
    }
    // Reads of a regular file ignore O_NONBLOCK: nothing to clear.
    Ok(file)
}

/// [`open`] and check the size against `limit` (what `stat` says; the reading is bounded
/// again by [`Bounded`]).
pub fn open_limited(path: &Path, kind: InputKind, limit: u64) -> Result<File, InputError> {
    let file = open(path, kind)?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len > limit {
        return Err(too_large(path, kind, limit));
    }
    Ok(file)
}

fn too_large(path: &Path, kind: InputKind, limit: u64) -> InputError {
    InputError::TooLarge {
        kind,
        file: crate::path::display(path),
        limit,
    }
}

/// Check that `path` is a regular file that can be opened, without reading it.
pub fn check(path: &Path, kind: InputKind) -> Result<(), InputError> {
    open(path, kind).map(drop)
}

/// The whole of `path`, at most `limit` bytes.
pub fn read(path: &Path, kind: InputKind, limit: u64) -> Result<Vec<u8>, InputError> {
    let mut bytes = Vec::new();
    read_into(path, kind, limit, &mut bytes)?;
    Ok(bytes)
}

/// [`read`] into a buffer the caller keeps from file to file (its old contents replaced):
/// a run over many large files then reuses one allocation instead of faulting in a new one.
pub fn read_into(
    path: &Path,
    kind: InputKind,
    limit: u64,
    bytes: &mut Vec<u8>,
) -> Result<(), InputError> {
    bytes.clear();
    let file = open_limited(path, kind, limit)?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    bytes.reserve(usize::try_from(len.min(limit)).unwrap_or(0));
    // One byte past the limit tells a file that grew meanwhile from one exactly at it.
    file.take(limit.saturating_add(1))
        .read_to_end(bytes)
        .map_err(|error| InputError::Open {
            kind,
            file: crate::path::display(path),
            error,
        })?;
    if bytes.len() as u64 > limit {
        bytes.clear();
        return Err(too_large(path, kind, limit));
    }
    Ok(())
}

/// [`read`] as UTF-8 text.
pub fn read_to_string(path: &Path, kind: InputKind, limit: u64) -> Result<String, InputError> {
    String::from_utf8(read(path, kind, limit)?).map_err(|_| InputError::NotUtf8 {
        kind,
        file: crate::path::display(path),
    })
}

/// A reader that fails (with [`InputError::reason`] of a [`InputError::TooLarge`]) once
/// more than `limit` bytes came through: for inputs read as a stream.
pub struct Bounded<R> {
    inner: R,
    left: u64,
    kind: InputKind,
    file: String,
    limit: u64,
}

impl<R: Read> Bounded<R> {
    pub fn new(inner: R, kind: InputKind, file: &str, limit: u64) -> Bounded<R> {
        Bounded {
            inner,
            left: limit,
            kind,
            file: file.to_string(),
            limit,
        }
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Ask for one byte more than is left, so reaching the limit exactly is no error.
        let want = usize::try_from(self.left.saturating_add(1))
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = self.inner.read(&mut buf[..want])?;
        if n as u64 > self.left {
            return Err(InputError::TooLarge {
                kind: self.kind,
                file: self.file.clone(),
                limit: self.limit,
            }
            .into_io());
        }
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_the_table_writes_them() {
        assert_eq!(size(64 << 20), "64 MiB");
        assert_eq!(size(1 << 30), "1 GiB");
        assert_eq!(size(65536), "64 KiB");
        assert_eq!(size(10_000_000), "10000000 bytes");
    }

    #[test]
    fn a_bounded_reader_stops_one_byte_past_the_limit() {
        let mut exact = Vec::new();
        Bounded::new(&b"12345"[..], InputKind::StatsFile, "s.csv", 5)
            .read_to_end(&mut exact)
            .unwrap();
        assert_eq!(exact, b"12345");
        let err = Bounded::new(&b"123456"[..], InputKind::StatsFile, "s.csv", 5)
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "it is over the 5 bytes limit for stats files"
        );
    }

    #[test]
    fn over_the_limit_names_the_file_the_limit_and_the_flag() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.zone");
        File::create(&path).unwrap().set_len(64 << 20 | 1).unwrap();
        let err = read(&path, InputKind::ZoneFile, 64 << 20).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "zone file {} is over the 64 MiB limit for zone files (--max-zone-size)",
                crate::path::display(&path)
            )
        );
        let exact = dir.path().join("exact.toml");
        std::fs::write(&exact, "x = 1\n").unwrap();
        assert_eq!(
            read_to_string(&exact, InputKind::RulesFile, 6).unwrap(),
            "x = 1\n"
        );
        assert!(matches!(
            read(&exact, InputKind::RulesFile, 5),
            Err(InputError::TooLarge { limit: 5, .. })
        ));
    }

    #[test]
    fn a_directory_is_not_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = read(dir.path(), InputKind::CampaignFile, 10).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("is a directory, not a regular file"),
            "{err}"
        );
    }
}
