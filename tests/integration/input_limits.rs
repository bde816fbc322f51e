//! Every input file is a regular file under its size limit (issue 12, item 2): a FIFO with no
//! writer, a character device (a private stand-in for /dev/zero made with mknod), a directory
//! or a file over the limit given as any input is exit 2 at once, naming the file and what is
//! wrong. Each run has a deadline: a run that blocks on a FIFO or reads a device without end
//! is killed and the test fails.

use mailaudit::input::InputKind;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Far more than a refusal takes, far less than reading a device without end.
const DEADLINE: Duration = Duration::from_secs(20);

/// Run the binary in `dir`; fail the test if it has not ended by the deadline.
fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mailaudit"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mailaudit starts");
    // Drain stderr meanwhile: a full pipe would block the child and look like a hang.
    let mut pipe = child.stderr.take().expect("stderr is piped");
    let reader = std::thread::spawn(move || {
        let mut stderr = String::new();
        let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
        stderr
    });
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let stderr = reader.join().expect("stderr reader");
            return (status.code().unwrap_or(-1), stderr);
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "mailaudit {args:?} still running after {DEADLINE:?}: it blocked or read without end"
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `mailaudit domain example.com --zone tiny.zone` and `extra`.
fn domain(dir: &Path, extra: &[&str]) -> (i32, String) {
    let mut args = vec!["domain", "example.com", "--zone", "tiny.zone"];
    args.extend_from_slice(extra);
    run(dir, &args)
}

/// A temp dir holding a repository root (so no mailaudit.toml above it applies), a tiny
/// zone, a draft, a FIFO `fifo`, a char device `zero` (1, 5: what /dev/zero is) and a
/// directory `dir`.
fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::create_dir(p.join(".git")).unwrap();
    std::fs::write(
        p.join("tiny.zone"),
        "$ORIGIN example.com.\n@ SOA ns hostmaster 1 7200 3600 1209600 3600\n@ TXT \"v=spf1 -all\"\n",
    )
    .unwrap();
    std::fs::write(
        p.join("d.eml"),
        "From: a@example.com\r\nTo: b@example.org\r\nSubject: hello\r\n\r\nHi.\r\n",
    )
    .unwrap();
    std::fs::write(p.join("r.csv"), "email\na@example.com\n").unwrap();
    std::fs::create_dir(p.join("dir")).unwrap();
    make_special(&p.join("fifo"), &["-m", "600"], "mkfifo");
    make_special(&p.join("zero"), &["c", "1", "5"], "mknod");
    dir
}

fn make_special(path: &Path, args: &[&str], tool: &str) {
    let mut command = Command::new(tool);
    if tool == "mkfifo" {
        command.args(args).arg(path);
    } else {
        command.arg(path).args(args);
    }
    let status = command.status().unwrap_or_else(|e| panic!("{tool}: {e}"));
    assert!(
        status.success(),
        "{tool} {} failed (needs root for mknod)",
        path.display()
    );
}

/// A sparse file of `len` bytes: no disk, no time.
fn sparse(dir: &Path, name: &str, len: u64) -> PathBuf {
    let path = dir.join(name);
    std::fs::File::create(&path).unwrap().set_len(len).unwrap();
    path
}

/// A campaign file naming `zones` and `stats`, otherwise valid.
fn campaign(dir: &Path, name: &str, zones: &str, stats: Option<&str>) {
    let stats = stats
        .map(|s| format!("stats = \"{s}\"\n"))
        .unwrap_or_default();
    std::fs::write(
        dir.join(name),
        format!(
            "from = \"a@example.com\"\nenvelope_from = \"a@example.com\"\n\
             sending_ips = [\"192.0.2.1\"]\ndkim_selector = \"s1\"\ndrafts = \"d.eml\"\n\
             {stats}zones = [\"{zones}\"]\n"
        ),
    )
    .unwrap();
}

/// The arguments that give `file` as an input of `kind`.
fn args_for(kind: InputKind, file: &str) -> Vec<String> {
    let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    match kind {
        InputKind::ZoneFile => v(&["domain", "example.com", "--zone", file]),
        InputKind::DomainsFile => v(&["domain", "--domains-file", file, "--zone", "tiny.zone"]),
        InputKind::RulesFile => v(&[
            "domain",
            "example.com",
            "--zone",
            "tiny.zone",
            "--rules",
            file,
        ]),
        InputKind::CampaignFile => v(&["check", file]),
        InputKind::StatsFile => v(&["sender", file]),
        InputKind::Draft => v(&["message", file]),
        InputKind::Report => v(&["reports", file]),
        InputKind::Feedback => v(&["feedback", file]),
        InputKind::Recipients => v(&["list", file]),
        InputKind::SuppressionList => v(&["list", "r.csv", "--suppressions", file]),
    }
}

fn refused(dir: &Path, kind: InputKind, file: &str, expected: &str) {
    let args = args_for(kind, file);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, stderr) = run(dir, &args);
    assert_eq!(code, 2, "{args:?}: {stderr}");
    // The stats reader's errors name the file as `cannot read FILE: it ...`.
    let want = match kind {
        InputKind::StatsFile => format!("cannot read {file}: it {expected}"),
        _ => format!("{} {file} {expected}", kind.noun()),
    };
    assert!(
        stderr.contains(&want),
        "{args:?}: wanted {want:?} in {stderr:?}"
    );
}

#[test]
fn a_fifo_or_device_given_as_any_input_is_refused_at_once() {
    let dir = setup();
    for kind in InputKind::ALL {
        refused(
            dir.path(),
            kind,
            "fifo",
            "is a FIFO (named pipe), not a regular file",
        );
        refused(
            dir.path(),
            kind,
            "zero",
            "is a character device, not a regular file",
        );
    }
}

#[test]
fn a_directory_given_as_a_file_is_refused() {
    let dir = setup();
    // Zone and draft directories are expanded to their *.zone and *.eml files instead.
    for kind in [
        InputKind::DomainsFile,
        InputKind::RulesFile,
        InputKind::CampaignFile,
        InputKind::StatsFile,
        InputKind::Recipients,
        InputKind::SuppressionList,
    ] {
        refused(
            dir.path(),
            kind,
            "dir",
            "is a directory, not a regular file",
        );
    }
}

#[test]
fn a_file_over_its_limit_is_refused_without_reading_it() {
    let dir = setup();
    for (kind, limit) in [
        (
            InputKind::ZoneFile,
            "64 MiB limit for zone files (--max-zone-size)",
        ),
        (InputKind::DomainsFile, "64 MiB limit for domains files"),
        (InputKind::RulesFile, "1 MiB limit for rules files"),
        (InputKind::CampaignFile, "1 MiB limit for campaign files"),
        (InputKind::StatsFile, "1 GiB limit for stats files"),
        (
            InputKind::Recipients,
            "1 GiB limit for recipients files (--max-list-size)",
        ),
        (
            InputKind::SuppressionList,
            "1 GiB limit for suppression lists",
        ),
    ] {
        let name = format!("big-{}", kind.noun().replace(' ', "-"));
        sparse(dir.path(), &name, kind.default_limit() + 1);
        refused(dir.path(), kind, &name, &format!("is over the {limit}"));
    }
    // Exactly at the limit is read: a rules file of one long comment applies.
    let limit = usize::try_from(InputKind::RulesFile.default_limit()).unwrap();
    let comment = format!("#{}\n", "x".repeat(limit - 2));
    std::fs::write(dir.path().join("exact.toml"), comment).unwrap();
    let (code, stderr) = domain(dir.path(), &["--rules", "exact.toml"]);
    assert_ne!(code, 2, "{stderr}");
}

#[test]
fn max_zone_size_raises_and_lowers_the_zone_limit() {
    let dir = setup();
    let (code, stderr) = domain(dir.path(), &["--max-zone-size", "10"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(
            "zone file tiny.zone is over the 10 bytes limit for zone files (--max-zone-size)"
        ),
        "{stderr}"
    );
    let (code, stderr) = domain(dir.path(), &["--max-zone-size", "1KiB"]);
    assert_ne!(code, 2, "{stderr}");
}

#[test]
fn a_campaign_naming_a_device_or_fifo_is_refused_at_its_line() {
    let dir = setup();
    for special in ["zero", "fifo"] {
        campaign(dir.path(), "zones.toml", special, None);
        let (code, stderr) = run(dir.path(), &["check", "zones.toml"]);
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains("zones.toml:6: `zones`: zone file"),
            "{stderr}"
        );
        assert!(stderr.contains(&format!("{special} is a")), "{stderr}");

        campaign(dir.path(), "stats.toml", "tiny.zone", Some(special));
        let (code, stderr) = run(dir.path(), &["check", "stats.toml"]);
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains("stats.toml:6: `stats`: stats file"),
            "{stderr}"
        );
    }
}

#[test]
fn a_mailaudit_toml_that_is_a_fifo_is_refused_not_skipped() {
    let dir = setup();
    make_special(&dir.path().join("mailaudit.toml"), &["-m", "600"], "mkfifo");
    let (code, stderr) = domain(dir.path(), &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("rules file mailaudit.toml is a FIFO"),
        "{stderr}"
    );
}

#[test]
fn a_stats_file_of_one_endless_line_is_bounded() {
    // A regular file stands in for /dev/zero's one endless line.
    let dir = setup();
    std::fs::write(dir.path().join("nul.csv"), vec![0u8; 200_000]).unwrap();
    let (code, stderr) = run(dir.path(), &["sender", "nul.csv"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("longer than 65536 bytes"), "{stderr}");
}

/// The rows `| name | limit | flag |` of the tables in docs/limits.md.
fn documented_limits() -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/limits.md"))
        .expect("docs/limits.md");
    text.lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| input") && !l.starts_with("| record"))
        .map(|l| {
            let cells: Vec<String> = l
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().trim_matches('`').to_string())
                .collect();
            let cell = |i: usize| cells.get(i).cloned().unwrap_or_default();
            (cell(0), cell(1), cell(2))
        })
        .collect()
}

#[test]
fn the_limits_table_is_the_code() {
    let mut expected: Vec<(String, String, String)> = InputKind::ALL
        .iter()
        .map(|kind| {
            (
                kind.noun().to_string(),
                mailaudit::input::size(kind.default_limit()),
                kind.flag().unwrap_or("").to_string(),
            )
        })
        .collect();
    expected.push((
        "stats record".into(),
        mailaudit::input::size(mailaudit::input::MAX_STATS_RECORD as u64),
        String::new(),
    ));
    assert_eq!(documented_limits(), expected);
}

#[test]
fn the_draft_limit_is_the_default_of_max_size() {
    let out = Command::new(env!("CARGO_BIN_EXE_mailaudit"))
        .args(["message", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("[default: 10MB]"), "{help}");
    assert_eq!(InputKind::Draft.default_limit(), 10_000_000);
}
