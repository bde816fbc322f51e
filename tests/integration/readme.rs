//! The README's usage stays true: every command and option it shows exists in `--help`, and
//! its first command (the offline demo audit) runs as written.

use std::process::Command;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_mailaudit"))
        .args(args)
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?} --help failed");
    String::from_utf8(out.stdout).unwrap()
}

/// `mailaudit SUB ...` lines of the README's usage block, and the options they show.
fn usage_lines(readme: &str) -> Vec<(String, Vec<String>)> {
    let usage = readme
        .split("## Usage")
        .nth(1)
        .expect("README has a Usage section");
    usage
        .lines()
        .filter_map(|l| l.trim().strip_prefix("mailaudit "))
        .map(|rest| {
            let sub = rest.split_whitespace().next().unwrap().to_string();
            let flags = rest
                .split(|c: char| c.is_whitespace() || c == '[' || c == ']')
                .filter(|w| w.starts_with("--"))
                .map(String::from)
                .collect();
            (sub, flags)
        })
        .collect()
}

#[test]
fn readme_usage_matches_help() {
    let readme = readme();
    let lines = usage_lines(&readme);
    assert!(lines.len() >= 3, "{lines:?}");
    let top = help(&[]);
    // Every command of --help is in the usage block.
    let commands = top
        .split("Commands:")
        .nth(1)
        .and_then(|rest| rest.split("Options:").next())
        .expect("--help lists commands");
    for command in commands.lines().filter_map(|l| l.split_whitespace().next()) {
        assert!(
            command == "help" || lines.iter().any(|(sub, _)| sub == command),
            "`{command}` is in --help but not in the README's usage"
        );
    }
    for (sub, flags) in &lines {
        assert!(
            top.contains(&format!("  {sub} ")),
            "`{sub}` is not in --help"
        );
        let sub_help = help(&[sub]);
        for flag in flags {
            assert!(
                sub_help.contains(flag.as_str()),
                "README shows `{flag}` for `{sub}`, --help does not"
            );
        }
    }
    // Options listed under the usage block: each is in the help of the commands that take it
    // (the top-level help lists commands, not their options).
    let command_helps: Vec<String> = lines.iter().map(|(sub, _)| help(&[sub])).collect();
    for flag in [
        "--zone",
        "--nameserver",
        "--timeout",
        "--concurrency",
        "--format",
        "--output",
        "--rules",
        "--fail-on",
    ] {
        assert!(readme.contains(flag), "README does not mention {flag}");
        assert!(
            command_helps.iter().any(|h| h.contains(flag)),
            "no command's --help lists {flag}"
        );
    }
}

#[test]
fn readme_demo_command_runs_offline() {
    let readme = readme();
    let block = readme
        .split("```sh")
        .filter_map(|b| b.split("```").next())
        .find(|b| b.contains("cargo run"))
        .expect("README has a cargo run block");
    let command = block.replace("\\\n", " ");
    let words: Vec<&str> = command.split_whitespace().collect();
    let start = words.iter().position(|w| *w == "--").unwrap() + 1;
    let args = &words[start..];
    // Offline: zone files on the command line, or a campaign whose file names them (the
    // report's "DNS offline" below says which).
    assert!(
        args.contains(&"--zone") || args.contains(&"check"),
        "the demo must run offline"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_mailaudit"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("acme-mail.example (domain)"), "{stdout}");
    assert!(stdout.contains("DNS offline"), "{stdout}");
}
