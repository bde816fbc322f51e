//! Where a report goes: standard output, a regular file replaced atomically, or a special
//! file (a FIFO, a terminal, a device) written directly.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// The io errors are part of the message, not sources, so a chain printed with `{:#}` says
/// them once; `Write` keeps its error as the source (the binary looks for a broken pipe).
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot create the output file in {}: {error}", dir.display())]
    Create { dir: PathBuf, error: io::Error },
    #[error("cannot write {}: {error}", path.display())]
    Persist { path: PathBuf, error: io::Error },
    #[error("cannot write {}: it is {what}; --output needs a file", path.display())]
    NotAFile { path: PathBuf, what: &'static str },
    #[error("cannot open {}: {error}", path.display())]
    Open { path: PathBuf, error: io::Error },
    #[error("cannot write the report")]
    Write(#[from] io::Error),
}

/// Standard output; `--output FILE` for a regular file or a new path written to a temporary
/// file in the same directory and renamed over FILE at the end, so FILE is never seen
/// half-written; or a FIFO, terminal or device opened and written as it is (renaming over
/// one would replace it with a regular file).
pub enum Output {
    Stdout(BufWriter<io::StdoutLock<'static>>),
    File {
        file: BufWriter<tempfile::NamedTempFile>,
        path: PathBuf,
        /// Known to the signal handler until the file is in place or gone.
        _registered: super::cleanup::Registered,
    },
    Direct {
        file: BufWriter<File>,
        path: PathBuf,
    },
}

/// What is at an `--output` path, following symbolic links.
enum Target {
    /// Nothing yet: a new file at this path.
    New(PathBuf),
    /// A regular file (the file a symbolic link points to: the link is kept).
    Regular(PathBuf),
    /// A FIFO, a terminal, a device: anything that is not a regular file or a directory.
    Special,
}

fn classify(path: &Path) -> Result<Target, OutputError> {
    let link = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Target::New(path.into())),
        Err(source) => {
            return Err(OutputError::Open {
                path: path.into(),
                error: source,
            });
        }
    };
    let is_link = link.file_type().is_symlink();
    let meta = if is_link {
        fs::metadata(path).map_err(|source| OutputError::Open {
            path: path.into(),
            error: source,
        })?
    } else {
        link
    };
    if meta.is_dir() {
        return Err(OutputError::NotAFile {
            path: path.into(),
            what: "a directory",
        });
    }
    if !meta.is_file() {
        return Ok(Target::Special);
    }
    if !is_link {
        return Ok(Target::Regular(path.into()));
    }
    // Replace the file the link points to, so the link stays a link.
    fs::canonicalize(path)
        .map(Target::Regular)
        .map_err(|source| OutputError::Open {
            path: path.into(),
            error: source,
        })
}

impl Output {
    /// Standard output when `path` is `None`.
    pub fn open(path: Option<&Path>) -> Result<Output, OutputError> {
        let Some(path) = path else {
            return Ok(Output::Stdout(BufWriter::new(io::stdout().lock())));
        };
        let target = match classify(path)? {
            Target::New(target) | Target::Regular(target) => target,
            Target::Special => {
                // Opened as it is: no truncation (a device), no temporary file.
                let file = fs::OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(|source| OutputError::Open {
                        path: path.into(),
                        error: source,
                    })?;
                return Ok(Output::Direct {
                    file: BufWriter::new(file),
                    path: path.into(),
                });
            }
        };
        let dir = match target.parent() {
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
                error: source,
            })?;
        let registered = super::cleanup::Registered::new(file.path());
        Ok(Output::File {
            file: BufWriter::new(file),
            path: target,
            _registered: registered,
        })
    }

    /// Flush standard output or a special file, or put the file in place. On an error the
    /// temporary file is removed.
    pub fn commit(self) -> Result<(), OutputError> {
        match self {
            Output::Stdout(mut out) => out.flush().map_err(OutputError::Write),
            Output::Direct { mut file, path } => {
                file.flush().map_err(|source| OutputError::Persist {
                    path,
                    error: source,
                })
            }
            Output::File { file, path, .. } => {
                // On an error the temporary file is dropped, which removes it.
                let file = file.into_inner().map_err(|e| OutputError::Persist {
                    path: path.clone(),
                    error: e.into_error(),
                })?;
                // Keep the permissions of a report being replaced.
                if let Ok(meta) = fs::metadata(&path) {
                    let _ = fs::set_permissions(file.path(), meta.permissions());
                }
                file.persist(&path).map_err(|e| OutputError::Persist {
                    path: path.clone(),
                    error: e.error,
                })?;
                Ok(())
            }
        }
    }
}

fn annotate(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(out) => out.write(buf),
            Output::File { file, path, .. } => file.write(buf).map_err(|e| annotate(path, e)),
            Output::Direct { file, path } => file.write(buf).map_err(|e| annotate(path, e)),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(out) => out.flush(),
            Output::File { file, path, .. } => file.flush().map_err(|e| annotate(path, e)),
            Output::Direct { file, path } => file.flush().map_err(|e| annotate(path, e)),
        }
    }
}
