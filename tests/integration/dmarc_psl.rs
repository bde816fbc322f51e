//! The Public Suffix List's own test file (`fixtures/conformance/dmarc/psl/test_psl.txt`, a
//! byte-for-byte copy) through `organizational_domain`: every active
//! `checkPublicSuffix(input, expected)` line, `null` meaning no registrable domain.

use mailaudit::dns::orgdomain::organizational_domain;
use std::io::Write;
use std::path::PathBuf;

/// Lines we believe wrong: (input, what the file expects, what we return, why). None so far;
/// an entry that matches no line, or whose line now agrees, fails the test.
const DISPUTED: &[(&str, &str, &str, &str)] = &[];

#[derive(Debug)]
struct Case {
    line: usize,
    /// `None` for the file's `null` input.
    input: Option<String>,
    expected: Option<String>,
}

/// `'text'` or `null`.
fn argument(arg: &str) -> Option<Option<String>> {
    let arg = arg.trim();
    if arg == "null" {
        return Some(None);
    }
    let inner = arg.strip_prefix('\'')?.strip_suffix('\'')?;
    Some(Some(inner.to_string()))
}

fn cases() -> Vec<Case> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/conformance/dmarc/psl/test_psl.txt");
    let text = std::fs::read_to_string(path).expect("test_psl.txt is readable");
    let mut cases = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        // Comments, including the commented-out cases, are not tests.
        let Some(args) = line
            .strip_prefix("checkPublicSuffix(")
            .and_then(|rest| rest.strip_suffix(");"))
        else {
            assert!(
                line.is_empty() || line.starts_with("//"),
                "line {}: neither a test nor a comment: {line}",
                i + 1
            );
            continue;
        };
        let (input, expected) = args
            .split_once(',')
            .unwrap_or_else(|| panic!("line {}: two arguments", i + 1));
        cases.push(Case {
            line: i + 1,
            input: argument(input).unwrap_or_else(|| panic!("line {}: input", i + 1)),
            expected: argument(expected).unwrap_or_else(|| panic!("line {}: expected", i + 1)),
        });
    }
    cases
}

fn show(value: &Option<String>) -> String {
    value.clone().unwrap_or_else(|| "null".to_string())
}

#[test]
fn public_suffix_list_test_file() {
    let cases = cases();
    assert_eq!(cases.len(), 78, "SOURCE.md: 78 active vectors");
    let mut agree = 0;
    let mut failures = Vec::new();
    let mut used = vec![false; DISPUTED.len()];
    for case in &cases {
        // The file's `null` input (no name at all) is the empty name here: a &str cannot be
        // null, and an empty name has no registrable domain either. Unicode (U-label) input
        // is answered in Unicode and punycode (A-label) input in punycode, as the file
        // expects: the compiled list holds every IDN rule in both forms.
        let got = organizational_domain(case.input.as_deref().unwrap_or(""));
        let label = format!("line {} {}", case.line, show(&case.input));
        let dispute = DISPUTED.iter().position(|(input, expected, _, _)| {
            Some(input.to_string()) == case.input && *expected == show(&case.expected)
        });
        match dispute {
            Some(i) => {
                used[i] = true;
                if got == case.expected {
                    failures.push(format!("{label}: agrees now, remove it from DISPUTED"));
                } else if show(&got) != DISPUTED[i].2 {
                    failures.push(format!(
                        "{label}: disputed as {}, got {}",
                        DISPUTED[i].2,
                        show(&got)
                    ));
                }
            }
            None if got == case.expected => agree += 1,
            None => failures.push(format!(
                "{label}: expected {}, got {}",
                show(&case.expected),
                show(&got)
            )),
        }
    }
    for (i, used) in used.iter().enumerate() {
        if !used {
            failures.push(format!("DISPUTED {} matches no line", DISPUTED[i].0));
        }
    }
    let mut summary = format!(
        "dmarc psl: {agree}/{} agree, {} disputed\n",
        cases.len(),
        DISPUTED.len()
    );
    for (input, expected, ours, why) in DISPUTED {
        summary.push_str(&format!(
            "DISPUTED {input}: file says {expected}, we say {ours}: {why}\n"
        ));
    }
    for f in &failures {
        summary.push_str(&format!("FAIL {f}\n"));
    }
    let _ = std::io::stdout().write_all(summary.as_bytes());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(agree + DISPUTED.len(), cases.len());
}

#[test]
fn trailing_dot_and_case_do_not_matter() {
    assert_eq!(
        organizational_domain("Mail.Example.COM.").as_deref(),
        Some("example.com")
    );
    assert_eq!(organizational_domain("."), None);
    assert_eq!(organizational_domain("a..b.example.com"), None);
}
