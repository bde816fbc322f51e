//! Command-line cases as data: every `tests/cmd/*.toml` runs the real binary in a fresh
//! working directory and pins its exit status and output. See `tests/cmd/README.md`.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// Arguments after the program name.
    args: Vec<String>,
    /// Expected exit status.
    status: i32,
    /// The whole of stdout, when given.
    stdout: Option<String>,
    #[serde(default)]
    stdout_contains: Vec<String>,
    #[serde(default)]
    stdout_excludes: Vec<String>,
    #[serde(default)]
    stderr_contains: Vec<String>,
    #[serde(default)]
    stderr_excludes: Vec<String>,
    /// Files to create in the working directory before the run (path -> content).
    #[serde(default)]
    files: BTreeMap<String, String>,
    /// Files that must exist after the run (path -> substrings of their content).
    #[serde(default)]
    output_files: BTreeMap<String, Vec<String>>,
    /// Run in this subdirectory of the case's directory (created when missing).
    cwd: Option<String>,
}

fn cases() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cmd");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    cases.sort();
    cases
}

/// A case that stops at argument checking never makes a DNS query.
fn output_is_usage_error(case: &Case) -> bool {
    case.status == 2
}

/// Runs one case; returns what did not match.
fn run(path: &Path) -> Vec<String> {
    let case: Case = toml::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in &case.files {
        let file = dir.path().join(name);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, content).unwrap();
    }
    // `{fixtures}` in an argument names the repository's fixtures directory, `{dir}` the
    // case's directory (absolute, as `$PWD` would spell it).
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let case_dir = std::fs::canonicalize(dir.path()).unwrap();
    let case_dir_text = case_dir.display().to_string();
    let args: Vec<String> = case
        .args
        .iter()
        .map(|a| {
            a.replace("{fixtures}", &fixtures.display().to_string())
                .replace("{dir}", &case_dir_text)
        })
        .collect();
    let cwd = match &case.cwd {
        Some(sub) => case_dir.join(sub),
        None => case_dir.clone(),
    };
    std::fs::create_dir_all(&cwd).unwrap();
    // Cases never reach live DNS: an audit either reads zone files or names a server.
    // The command is the first word that names one (`rules spf` lists rules, audits nothing).
    let commands = [
        "rules",
        "domain",
        "spf",
        "message",
        "check",
        "sender",
        "completions",
    ];
    let command = args.iter().find(|a| commands.contains(&a.as_str()));
    let audits = command.is_some_and(|c| c == "domain" || c == "spf");
    let offline = args.iter().any(|a| a == "--zone" || a == "--nameserver");
    assert!(
        !audits || offline || output_is_usage_error(&case),
        "{}: an audit case must use --zone (tests never touch the network)",
        path.display()
    );
    let output = Command::new(env!("CARGO_BIN_EXE_mailaudit"))
        .args(&args)
        .current_dir(&cwd)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    // Paths under the fixtures directory print back as `{fixtures}`, those under the case's
    // directory as `{dir}`, so expected output does not depend on where the repository is
    // checked out or which temporary directory the case ran in.
    let root = fixtures.display().to_string();
    let unplace = |bytes: &[u8]| {
        String::from_utf8_lossy(bytes)
            .replace(&root, "{fixtures}")
            .replace(&case_dir_text, "{dir}")
    };
    let stdout = unplace(&output.stdout);
    let stderr = unplace(&output.stderr);

    let mut problems = Vec::new();
    if output.status.code() != Some(case.status) {
        problems.push(format!(
            "exit status {:?}, expected {}",
            output.status.code(),
            case.status
        ));
    }
    if let Some(expected) = &case.stdout
        && stdout != expected.as_str()
    {
        problems.push(format!("stdout differs; expected:\n{expected}"));
    }
    for needle in &case.stdout_contains {
        if !stdout.contains(needle.as_str()) {
            problems.push(format!("stdout lacks {needle:?}"));
        }
    }
    for needle in &case.stdout_excludes {
        if stdout.contains(needle.as_str()) {
            problems.push(format!("stdout has {needle:?}"));
        }
    }
    for needle in &case.stderr_contains {
        if !stderr.contains(needle.as_str()) {
            problems.push(format!("stderr lacks {needle:?}"));
        }
    }
    for needle in &case.stderr_excludes {
        if stderr.contains(needle.as_str()) {
            problems.push(format!("stderr has {needle:?}"));
        }
    }
    for (name, needles) in &case.output_files {
        match std::fs::read_to_string(case_dir.join(name)) {
            Ok(content) => {
                for needle in needles {
                    if !content.contains(needle.as_str()) {
                        problems.push(format!("{name} lacks {needle:?}"));
                    }
                }
            }
            Err(e) => problems.push(format!("{name}: {e}")),
        }
    }
    if !problems.is_empty() {
        problems.push(format!("--- stdout:\n{stdout}--- stderr:\n{stderr}"));
    }
    problems
}

#[test]
fn cli_cases() {
    let cases = cases();
    assert!(!cases.is_empty(), "no cases in tests/cmd");
    let mut failures = Vec::new();
    for path in &cases {
        let problems = run(path);
        if !problems.is_empty() {
            let name = path.file_name().unwrap().to_string_lossy();
            failures.push(format!("{name}:\n  {}", problems.join("\n  ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
