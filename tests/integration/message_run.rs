//! Many drafts: the walk (recursive, sorted, `.eml` only), the sequence rules on the
//! directories of `fixtures/drafts/sequences/`, the profiles, and results that come out in
//! the same order whatever the number of worker threads.

use mailaudit::finding::Finding;
use mailaudit::message::rules::{SEQUENCE_LENGTH_MAX_TOUCHES, SUBJECT_TOO_LONG_MAX_CHARS};
use mailaudit::message::{DraftOptions, MessageResult, audit_paths};
use mailaudit::rules::{PROFILES, Rules, RulesError};
use std::path::PathBuf;

fn rules(profile: &str) -> Rules {
    let mut rules = Rules::builtin().unwrap();
    rules.apply_profile(profile).unwrap();
    rules
}

/// (kind, target, findings) of every result, in the order they were handed on.
fn run(inputs: &[&str], rules: &Rules, workers: usize) -> Vec<(String, String, Vec<Finding>)> {
    let inputs: Vec<PathBuf> = inputs.iter().map(PathBuf::from).collect();
    let mut out = Vec::new();
    audit_paths(
        &inputs,
        rules,
        &DraftOptions::default(),
        workers,
        |result| {
            let (kind, target, mut findings) = match result.unwrap() {
                MessageResult::Draft(audit) => ("draft", audit.target, audit.findings),
                MessageResult::Sequence { dir, findings, .. } => ("sequence", dir, findings),
                MessageResult::Directory { dir, findings } => ("directory", dir, findings),
            };
            rules.apply_levels(&mut findings);
            out.push((kind.to_string(), target, findings));
            Ok::<(), ()>(())
        },
    )
    .unwrap();
    out
}

fn sequence_rules(results: &[(String, String, Vec<Finding>)], dir: &str) -> Vec<String> {
    results
        .iter()
        .filter(|(kind, target, _)| kind == "sequence" && target == dir)
        .flat_map(|(_, _, findings)| findings.iter().map(|f| f.rule.clone()))
        .collect()
}

#[test]
fn sender_drift_fires_on_the_drifting_sequence_only() {
    let rules = rules("cold-outreach");
    let results = run(&["fixtures/drafts/sequences"], &rules, 2);
    let drift = sequence_rules(&results, "fixtures/drafts/sequences/drift");
    assert_eq!(drift, ["sequence/sender-drift"]);
    assert!(sequence_rules(&results, "fixtures/drafts/sequences/steady").is_empty());
    let (_, _, findings) = results
        .iter()
        .find(|(k, t, _)| k == "sequence" && t.ends_with("drift"))
        .unwrap();
    assert!(
        findings[0]
            .message
            .contains("touch 3 (03-breakup.eml) changes the From domain"),
        "{}",
        findings[0].message
    );
}

#[test]
fn sequence_length_follows_the_profile() {
    let cold = run(
        &["fixtures/drafts/sequences/long"],
        &rules("cold-outreach"),
        2,
    );
    assert_eq!(
        sequence_rules(&cold, "fixtures/drafts/sequences/long"),
        ["sequence/length"]
    );
    let (_, _, findings) = cold.iter().find(|(k, _, _)| k == "sequence").unwrap();
    assert_eq!(
        findings[0].message,
        "the sequence has 7 touches (at most 6)"
    );
    // The steady sequence has 3 touches: silent.
    let steady = run(
        &["fixtures/drafts/sequences/steady"],
        &rules("cold-outreach"),
        2,
    );
    assert!(sequence_rules(&steady, "fixtures/drafts/sequences/steady").is_empty());
    // Newsletter issues are not touches: the rule is off.
    let news = run(&["fixtures/drafts/sequences/long"], &rules("newsletter"), 2);
    assert!(sequence_rules(&news, "fixtures/drafts/sequences/long").is_empty());
}

#[test]
fn walk_order_is_sorted_and_each_sequence_follows_its_last_touch() {
    let rules = rules("cold-outreach");
    let results = run(&["fixtures/drafts/sequences"], &rules, 2);
    let order: Vec<String> = results
        .iter()
        .map(|(kind, target, _)| {
            format!(
                "{kind} {}",
                target.trim_start_matches("fixtures/drafts/sequences/")
            )
        })
        .collect();
    let mut expected = Vec::new();
    let three: Vec<String> = ["01-intro", "02-follow-up", "03-breakup"]
        .map(String::from)
        .to_vec();
    let seven: Vec<String> = (1..=7).map(|n| format!("{n:02}-touch")).collect();
    for (dir, files) in [("drift", three.clone()), ("long", seven), ("steady", three)] {
        for file in files {
            expected.push(format!("draft {dir}/{file}.eml"));
        }
        expected.push(format!("sequence {dir}"));
    }
    assert_eq!(order, expected);
}

#[test]
fn results_do_not_depend_on_the_number_of_workers() {
    let rules = rules("cold-outreach");
    let inputs = ["fixtures/drafts"];
    let one = run(&inputs, &rules, 1);
    for workers in [2, 3, 8] {
        assert_eq!(run(&inputs, &rules, workers), one, "{workers} workers");
    }
    assert!(one.len() > 40);
}

#[test]
fn files_named_on_the_command_line_form_a_sequence_per_directory() {
    let rules = rules("cold-outreach");
    let results = run(
        &[
            "fixtures/drafts/sequences/drift/01-intro.eml",
            "fixtures/drafts/sequences/drift/03-breakup.eml",
            "fixtures/drafts/rules/good.eml",
        ],
        &rules,
        2,
    );
    let kinds: Vec<(&str, &str)> = results
        .iter()
        .map(|(k, t, _)| (k.as_str(), t.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("draft", "fixtures/drafts/sequences/drift/01-intro.eml"),
            ("draft", "fixtures/drafts/sequences/drift/03-breakup.eml"),
            ("sequence", "fixtures/drafts/sequences/drift"),
            ("draft", "fixtures/drafts/rules/good.eml"),
            // good.eml's directory is its sequence too: all of its drafts.
            ("sequence", "fixtures/drafts/rules"),
        ]
    );
    assert_eq!(
        sequence_rules(&results, "fixtures/drafts/sequences/drift"),
        ["sequence/sender-drift"]
    );
}

/// The sequence result of `dir`: its facts and its findings' messages.
fn sequence_of(
    inputs: &[&str],
    dir: &str,
) -> (mailaudit::message::sequence::SequenceFacts, Vec<String>) {
    let rules = rules("cold-outreach");
    let inputs: Vec<PathBuf> = inputs.iter().map(PathBuf::from).collect();
    let mut found = None;
    audit_paths(&inputs, &rules, &DraftOptions::default(), 2, |done| {
        if let Ok(MessageResult::Sequence {
            dir: d,
            facts,
            findings,
        }) = done
            && d == dir
        {
            found = Some((facts, findings.into_iter().map(|f| f.message).collect()));
        }
        Ok::<(), ()>(())
    })
    .unwrap();
    found.unwrap_or_else(|| panic!("no sequence result for {dir}"))
}

#[test]
fn a_named_file_is_a_touch_of_its_whole_directory() {
    let dir = "fixtures/drafts/sequences/drift";
    // Only the third draft given (a pre-commit hook passes the changed files): its touch
    // number is its place in the directory, and the drift against touch 1 is found.
    let (facts, messages) = sequence_of(&[&format!("{dir}/03-breakup.eml")], dir);
    assert_eq!(facts.touches, 3);
    assert_eq!(
        facts.files,
        ["01-intro.eml", "02-follow-up.eml", "03-breakup.eml"]
    );
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].starts_with("touch 3 (03-breakup.eml) changes the From domain"),
        "{messages:?}"
    );
    // The same sequence result as for the directory, whichever drafts are named, in any order.
    let (whole, whole_messages) = sequence_of(&[dir], dir);
    for named in [
        vec![format!("{dir}/01-intro.eml")],
        vec![
            format!("{dir}/03-breakup.eml"),
            format!("{dir}/01-intro.eml"),
        ],
    ] {
        let named: Vec<&str> = named.iter().map(String::as_str).collect();
        let (facts, messages) = sequence_of(&named, dir);
        assert_eq!(facts, whole, "{named:?}");
        assert_eq!(messages, whole_messages, "{named:?}");
    }
}

#[test]
fn siblings_are_read_but_not_reported() {
    let rules = rules("cold-outreach");
    let dir = "fixtures/drafts/sequences/drift";
    let mut drafts = Vec::new();
    audit_paths(
        &[PathBuf::from(format!("{dir}/02-follow-up.eml"))],
        &rules,
        &DraftOptions::default(),
        2,
        |done| {
            if let Ok(MessageResult::Draft(audit)) = done {
                drafts.push(audit.target.clone());
            }
            Ok::<(), ()>(())
        },
    )
    .unwrap();
    assert_eq!(drafts, [format!("{dir}/02-follow-up.eml")]);
}

#[test]
fn only_eml_files_are_drafts_at_any_depth() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.eml"), "From: a@example.com\n\nhi\n").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a draft").unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("sub/b.EML"), "From: a@example.com\n\nhi\n").unwrap();
    let rules = rules("cold-outreach");
    let input = dir.path().to_str().unwrap();
    let results = run(&[input], &rules, 2);
    let targets: Vec<&str> = results.iter().map(|(_, t, _)| t.as_str()).collect();
    assert_eq!(targets.len(), 2, "{targets:?}");
    assert!(targets[0].ends_with("/a.eml") && targets[1].ends_with("/sub/b.EML"));
}

#[test]
fn an_error_of_the_consumer_stops_the_run() {
    let rules = rules("cold-outreach");
    let mut seen = 0;
    let outcome = audit_paths(
        &[PathBuf::from("fixtures/drafts")],
        &rules,
        &DraftOptions::default(),
        2,
        |_| {
            seen += 1;
            if seen == 3 { Err("stop") } else { Ok(()) }
        },
    );
    assert_eq!(outcome, Err("stop"));
    assert_eq!(seen, 3);
}

#[test]
fn every_profile_applies_and_names_known_rules() {
    let builtin = Rules::builtin().unwrap();
    for (name, file, text) in PROFILES {
        let mut rules = Rules::builtin().unwrap();
        rules
            .apply_profile(name)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let config = mailaudit::config::Config::parse(text, file).unwrap();
        assert!(config.ignores().is_empty(), "{file}");
        for ov in config.overrides() {
            let area = ov.rule.split('/').next().unwrap();
            // A rule of an area this build has data for must exist; body/ rules are skipped
            // until the body analysis's data is in the build.
            let area_known = builtin
                .iter()
                .any(|m| m.id.starts_with(&format!("{area}/")));
            assert!(
                builtin.get(&ov.rule).is_some() || !area_known,
                "{file}:{}: unknown rule {}",
                ov.line,
                ov.rule
            );
        }
    }
    let cold = rules("cold-outreach");
    assert_eq!(cold.threshold(SUBJECT_TOO_LONG_MAX_CHARS), 50.0);
    assert_eq!(cold.threshold(SEQUENCE_LENGTH_MAX_TOUCHES), 6.0);
    let news = rules("newsletter");
    assert!(!news.is_enabled("sequence/length"));
    assert_eq!(news.threshold(SUBJECT_TOO_LONG_MAX_CHARS), 70.0);
}

#[test]
fn an_unknown_profile_is_an_error_naming_the_known_ones() {
    let err = Rules::builtin().unwrap().apply_profile("b2b").unwrap_err();
    assert!(matches!(err, RulesError::UnknownProfile { .. }));
    assert!(
        err.to_string().contains("cold-outreach, newsletter"),
        "{err}"
    );
}

#[test]
fn the_users_configuration_wins_over_the_profile() {
    let mut rules = rules("newsletter");
    let config = mailaudit::config::Config::parse(
        "[rules.\"sequence/length\"]\nseverity = \"warning\"\nthresholds = { max_touches = 2 }\n",
        "mailaudit.toml",
    )
    .unwrap();
    rules.apply(&config).unwrap();
    let results = run(&["fixtures/drafts/sequences/steady"], &rules, 2);
    assert_eq!(
        sequence_rules(&results, "fixtures/drafts/sequences/steady"),
        ["sequence/length"]
    );
}
