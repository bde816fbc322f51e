//! The files that plug mailaudit into other tools stay true: the pre-commit hook runs the
//! binary as declared on the files it selects, and every `mailaudit` command in docs/ci.md is
//! one the command line accepts (its YAML blocks parse).

use serde::Deserialize;
use std::path::Path;
use std::process::Command;

fn repo_file(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

fn mailaudit(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mailaudit"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Hook {
    id: String,
    name: String,
    description: String,
    entry: String,
    #[serde(default)]
    args: Vec<String>,
    language: String,
    files: String,
    types: Vec<String>,
    pass_filenames: bool,
    require_serial: bool,
}

#[test]
fn the_pre_commit_hook_runs_mailaudit_message_on_eml_files() {
    let hooks: Vec<Hook> = serde_yaml::from_str(&repo_file(".pre-commit-hooks.yaml")).unwrap();
    let hook = hooks.iter().find(|h| h.id == "mailaudit-message").unwrap();
    assert_eq!(hook.language, "rust");
    assert!(hook.pass_filenames);
    // One invocation with every file: mailaudit parallelizes itself.
    assert!(hook.require_serial);
    assert!(!hook.name.is_empty() && !hook.description.is_empty());
    assert_eq!(hook.types, ["file"]);
    // pre-commit's files pattern is a Python regex; (?i) and \. mean the same in Rust's.
    let files = regex::Regex::new(&hook.files).unwrap();
    for (name, selected) in [
        ("sequences/acme/01-intro.eml", true),
        ("DRAFT.EML", true),
        ("notes.eml.txt", false),
        ("README.md", false),
    ] {
        assert_eq!(files.is_match(name), selected, "{name}");
    }

    // The hook's command line, with the files pre-commit would pass: one that fires an error
    // and one that is clean.
    let mut words: Vec<&str> = hook.entry.split_whitespace().collect();
    assert_eq!(words.remove(0), "mailaudit");
    words.extend(hook.args.iter().map(String::as_str));
    let bad = "fixtures/drafts/rules/unsubscribe-missing-fires.eml";
    let good = "fixtures/drafts/rules/good.eml";
    assert!(files.is_match(bad) && files.is_match(good));
    let out = mailaudit(&[words.as_slice(), &[bad, good]].concat());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("unsubscribe/missing"), "{stdout}");
    assert!(stdout.contains("template mode"), "{stdout}");
    let out = mailaudit(&[words.as_slice(), &[good]].concat());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// The fenced blocks of a Markdown text with their info string.
fn fenced_blocks(text: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        match (&mut current, line.strip_prefix("```")) {
            (None, Some(info)) => current = Some((info.trim().to_string(), String::new())),
            (Some(_), Some(_)) => blocks.push(current.take().unwrap()),
            (Some((_, body)), None) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    blocks
}

/// A shell command line split into words (no quoting is used in these commands).
fn words(command: &str) -> Vec<&str> {
    command
        .split('>')
        .next()
        .unwrap()
        .split_whitespace()
        .collect()
}

#[test]
fn every_mailaudit_command_in_docs_ci_is_accepted() {
    let doc = repo_file("docs/ci.md");
    let blocks = fenced_blocks(&doc);
    assert!(blocks.len() >= 5, "{blocks:?}");
    let mut commands = Vec::new();
    for (info, body) in &blocks {
        match info.as_str() {
            "yaml" => {
                // Step lists are indented as inside a job; they parse on their own.
                let value: serde_yaml::Value = serde_yaml::from_str(body)
                    .unwrap_or_else(|e| panic!("docs/ci.md YAML block: {e}\n{body}"));
                assert!(!value.is_null());
                for line in body.lines() {
                    let line = line.trim().trim_start_matches("- ");
                    if let Some(command) = line.strip_prefix("run: mailaudit ") {
                        commands.push(command.to_string());
                    }
                }
            }
            "sh" => {
                for line in body.lines() {
                    if let Some(command) = line.strip_prefix("mailaudit ") {
                        commands.push(command.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    assert!(
        commands.iter().any(|c| c.contains("--format sarif")),
        "{commands:?}"
    );
    assert!(
        commands.iter().any(|c| c.contains("--format github")),
        "{commands:?}"
    );
    for command in &commands {
        // --help after the arguments: clap checks every argument before it, then stops.
        let mut args = words(command);
        args.push("--help");
        let out = mailaudit(&args);
        assert!(
            out.status.success(),
            "docs/ci.md: `mailaudit {command}` is rejected:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The workflow uploads the file the audit writes.
    assert!(doc.contains("github/codeql-action/upload-sarif"));
    assert!(doc.contains("sarif_file: mailaudit.sarif"));
    assert!(doc.contains("--output mailaudit.sarif"));
}
