//! `--output` through the real binary: a regular file (or a new path) is replaced
//! atomically, a FIFO or a device is written as it is and stays what it was, a directory is
//! an error, a write error is reported, and a signal leaves no temporary file behind.

use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const ZONE: &str = "a.example. 300 IN TXT \"v=spf1 -all\"\n";

fn mailaudit(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mailaudit"));
    command.args(args).current_dir(dir).env("NO_COLOR", "1");
    command
}

/// A JSON report of a.example from a zone file, written to `output` (exit 0 once written).
fn report_to(dir: &Path, output: &str) -> Output {
    std::fs::write(dir.join("a.zone"), ZONE).unwrap();
    mailaudit(
        dir,
        &[
            "--format",
            "json",
            "--fail-on",
            "never",
            "--output",
            output,
            "domain",
            "a.example",
            "--zone",
            "a.zone",
        ],
    )
    .output()
    .unwrap()
}

/// The hidden temporary files `--output` writes before the rename.
fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".mailaudit-"))
        .collect()
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

/// A character device in `dir` like `/dev/<name>` (`mknod`, so root only): a stand-in, so
/// the system's own device is never at stake. `None` where mknod is not allowed.
fn device_like(dir: &Path, name: &str, major: u32, minor: u32) -> Option<std::path::PathBuf> {
    let path = dir.join(name);
    let made = Command::new("mknod")
        .arg(&path)
        .args(["c", &major.to_string(), &minor.to_string()])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    made.then_some(path)
}

/// `special` is still of its kind (not replaced by a regular file) and `dir` holds no
/// temporary file.
fn assert_left_in_place(dir: &Path, special: &Path, is_kind: fn(&std::fs::FileType) -> bool) {
    let kind = std::fs::symlink_metadata(special).unwrap().file_type();
    assert!(
        is_kind(&kind),
        "{} was replaced: {kind:?}",
        special.display()
    );
    assert_eq!(temp_files(dir), Vec::<String>::new());
}

/// A device every write to fails: a stand-in for /dev/full in `dir` where mknod is
/// allowed, /dev/full itself otherwise.
fn full_device(dir: &Path) -> String {
    device_like(dir, "full", 1, 7)
        .map_or_else(|| "/dev/full".to_owned(), |p| p.display().to_string())
}

#[test]
fn a_fifo_is_written_directly_and_stays_a_fifo() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("report.fifo");
    mkfifo(&fifo);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let out = report_to(dir.path(), "report.fifo");
    let read = reader.join().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(read.contains("\"schema_version\": 1"), "{read}");
    assert!(read.contains("\"target\": \"a.example\""), "{read}");
    assert_left_in_place(dir.path(), &fifo, FileTypeExt::is_fifo);
}

#[test]
fn a_character_device_is_written_directly_and_stays_a_device() {
    let dir = tempfile::tempdir().unwrap();
    // A stand-in for /dev/null.
    let Some(null) = device_like(dir.path(), "null", 1, 3) else {
        eprintln!("skipped: mknod is not allowed here");
        return;
    };
    let out = report_to(dir.path(), "null");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_left_in_place(dir.path(), &null, FileTypeExt::is_char_device);
}

#[test]
fn a_write_error_is_reported_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let target = full_device(dir.path());
    let out = report_to(dir.path(), &target);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot write {target}")),
        "{stderr}"
    );
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert_eq!(
        stderr.matches("No space left").count(),
        1,
        "said once: {stderr}"
    );
    assert_left_in_place(dir.path(), Path::new(&target), FileTypeExt::is_char_device);
}

#[test]
fn a_directory_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("reports")).unwrap();
    let out = report_to(dir.path(), "reports");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot write reports: it is a directory"),
        "{stderr}"
    );
    assert!(dir.path().join("reports").is_dir());
    assert_eq!(temp_files(dir.path()), Vec::<String>::new());
    assert_eq!(
        temp_files(&dir.path().join("reports")),
        Vec::<String>::new()
    );
}

#[test]
fn a_symlink_to_a_file_replaces_the_file_and_keeps_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("reports");
    std::fs::create_dir(&reports).unwrap();
    std::fs::write(reports.join("real.json"), "old report").unwrap();
    std::os::unix::fs::symlink("reports/real.json", dir.path().join("latest.json")).unwrap();
    let out = report_to(dir.path(), "latest.json");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let link = std::fs::symlink_metadata(dir.path().join("latest.json")).unwrap();
    assert!(link.file_type().is_symlink(), "the link was replaced");
    let real = std::fs::read_to_string(reports.join("real.json")).unwrap();
    assert!(real.contains("\"target\": \"a.example\""), "{real}");
    assert_eq!(temp_files(dir.path()), Vec::<String>::new());
    assert_eq!(temp_files(&reports), Vec::<String>::new());
}

#[test]
fn sigterm_removes_the_temporary_file_and_keeps_the_old_report() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("run.jsonl"), "old report\n").unwrap();
    // A nameserver that never answers: the run waits on its first query.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let nameserver = silent.local_addr().unwrap().to_string();
    let mut child = mailaudit(
        dir.path(),
        &[
            "--format",
            "jsonl",
            "--output",
            "run.jsonl",
            "domain",
            "a.example",
            "--nameserver",
            &nameserver,
            "--timeout",
            "60",
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let started = Instant::now();
    while temp_files(dir.path()).is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no temporary file appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(128 + 15));
    assert_eq!(temp_files(dir.path()), Vec::<String>::new());
    let kept = std::fs::read_to_string(dir.path().join("run.jsonl")).unwrap();
    assert_eq!(kept, "old report\n");
}

#[test]
fn a_completion_script_that_cannot_be_written_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let target = full_device(dir.path());
    let out = mailaudit(dir.path(), &["completions", "bash", "--output", &target])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_left_in_place(dir.path(), Path::new(&target), FileTypeExt::is_char_device);
}
