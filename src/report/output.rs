//! Where a report goes: standard output, or a file written atomically.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot create the output file in {}: {source}", dir.display())]
    Create { dir: PathBuf, source: io::Error },
    #[error("cannot write {}: {source}", path.display())]
    Persist { path: PathBuf, source: io::Error },
    #[error("cannot write the report: {0}")]
    Write(#[from] io::Error),
}

/// Standard output, or `--output FILE` written to a temporary file in the same directory
/// and renamed over FILE at the end, so FILE is never seen half-written.
pub enum Output {
    Stdout(BufWriter<io::StdoutLock<'static>>),
    File {
        file: BufWriter<tempfile::NamedTempFile>,
        path: PathBuf,
    },
}

impl Output {
    /// Standard output when `path` is `None`.
    pub fn open(path: Option<&Path>) -> Result<Output, OutputError> {
        let Some(path) = path else {
            return Ok(Output::Stdout(BufWriter::new(io::stdout().lock())));
        };
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let mut builder = tempfile::Builder::new();
        builder.prefix(".mailaudit-").suffix(".tmp");
        // A report is an ordinary file: the umask decides, not the temp file's 0600.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let file = builder
            .tempfile_in(dir)
            .map_err(|source| OutputError::Create {
                dir: dir.to_path_buf(),
                source,
            })?;
        Ok(Output::File {
            file: BufWriter::new(file),
            path: path.to_path_buf(),
        })
    }

    /// Flush standard output, or put the file in place.
    pub fn commit(self) -> Result<(), OutputError> {
        match self {
            Output::Stdout(mut out) => out.flush().map_err(OutputError::Write),
            Output::File { file, path } => {
                let file = file.into_inner().map_err(|e| OutputError::Persist {
                    path: path.clone(),
                    source: e.into_error(),
                })?;
                // Keep the permissions of a report being replaced.
                if let Ok(meta) = std::fs::metadata(&path) {
                    let _ = std::fs::set_permissions(file.path(), meta.permissions());
                }
                file.persist(&path).map_err(|e| OutputError::Persist {
                    path: path.clone(),
                    source: e.error,
                })?;
                Ok(())
            }
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(out) => out.write(buf),
            Output::File { file, .. } => file.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(out) => out.flush(),
            Output::File { file, .. } => file.flush(),
        }
    }
}
