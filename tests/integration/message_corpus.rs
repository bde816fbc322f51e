//! Robustness on real mail (SPEC §7): every message of the public corpus in
//! `../shared/corpus/` (3,546 SpamAssassin messages: mbox `From ` lines, LF, 8-bit headers,
//! broken MIME) is audited with no panic, and every result serialises to valid JSON.
//! Skipped, with a note, when the corpus is not there (set MAILAUDIT_CORPUS to point
//! elsewhere). `scripts/corpus-check` does the same with the release binary.

use mailaudit::message::{DraftOptions, audit_paths};
use mailaudit::report::JsonlWriter;
use mailaudit::rules::Rules;
use mailaudit::run::{Kind, TargetResult};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn corpus() -> Option<PathBuf> {
    let dir = match std::env::var_os("MAILAUDIT_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
    };
    dir.is_dir().then_some(dir)
}

fn count_eml(dir: &std::path::Path) -> usize {
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            count += count_eml(&entry.path());
        } else if mailaudit::message::run::is_draft_name(&entry.file_name()) {
            count += 1;
        }
    }
    count
}

#[test]
fn every_corpus_message_is_audited_without_panic() {
    let Some(dir) = corpus() else {
        eprintln!("note: no corpus at ../shared/corpus (or MAILAUDIT_CORPUS); skipped");
        return;
    };
    let expected = count_eml(&dir);
    let mut rules = Rules::builtin().unwrap();
    rules.apply_profile("cold-outreach").unwrap();
    let mut drafts = 0;
    let mut per_rule: BTreeMap<String, usize> = BTreeMap::new();
    let mut panics = Vec::new();
    let mut jsonl = JsonlWriter::new(Vec::new());
    audit_paths(
        std::slice::from_ref(&dir),
        &rules,
        &DraftOptions::default(),
        2,
        |done| {
            let result = match done {
                Ok(result) => TargetResult::from(result),
                Err(path) => {
                    panics.push(path);
                    return Ok::<(), std::io::Error>(());
                }
            };
            if result.kind == Kind::Draft {
                drafts += 1;
            }
            for finding in &result.findings {
                *per_rule.entry(finding.rule.clone()).or_default() += 1;
            }
            jsonl.write_result(&result)
        },
    )
    .unwrap();
    assert!(panics.is_empty(), "audits that panicked: {panics:?}");
    assert_eq!(drafts, expected, "every message is one draft result");
    let text = String::from_utf8(jsonl.into_inner()).unwrap();
    for line in text.lines() {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(value["schema_version"], 1);
    }
    eprintln!("corpus: {drafts} messages; findings per rule:");
    for (rule, count) in &per_rule {
        eprintln!("  {count:6} {rule}");
    }
    // Facts the corpus documents (SOURCE.md), when it is the SpamAssassin subset.
    if expected == 3546 {
        assert_eq!(per_rule.get("message/unparseable"), None);
        assert_eq!(
            per_rule.get("unsubscribe/syntax"),
            None,
            "every value uses brackets"
        );
        // 1,036 messages have List-Unsubscribe, 286 of them with an https URI.
        assert_eq!(per_rule.get("unsubscribe/missing"), Some(&(3546 - 1036)));
        assert_eq!(per_rule.get("unsubscribe/no-https"), Some(&(1036 - 286)));
        assert_eq!(per_rule.get("unsubscribe/one-click-missing"), Some(&3546));
    }
}
