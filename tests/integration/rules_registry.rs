//! Keeps the registry (every family's rule ids and threshold handles, `src/app/registry.rs`)
//! and the rule data (`rules/*.toml`) together: every rule exists in both, with every
//! documentation section written, and every threshold is in the data and read through a
//! handle, so a default cannot hide in code and data cannot be dead.

use mailaudit::app::registry::{FAMILIES, implemented, thresholds};
use mailaudit::rules::Rules;
use mailaudit::spf::rules::{LOOKUP_LIMIT, LOOKUP_LIMIT_MAX, LOOKUP_LIMIT_WARN_FROM};
use regex::Regex;
use std::collections::BTreeSet;

/// Rules documented in data whose check is being written in another module right now.
/// An entry here must not be implemented yet: the test fails once it is, so the list only
/// shrinks.
const PENDING: &[&str] = &[];

fn rules() -> Rules {
    Rules::builtin().expect("the built-in rule data parses")
}

#[test]
fn every_implemented_rule_has_data() {
    let rules = rules();
    let missing: Vec<String> = FAMILIES
        .iter()
        .flat_map(|family| {
            family
                .rules
                .iter()
                .filter(|id| rules.get(id.as_str()).is_none())
                .map(move |id| format!("{} ({})", id, family.name))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "rules without an entry in rules/*.toml: {missing:?}"
    );
}

#[test]
fn every_data_entry_is_implemented() {
    let implemented: BTreeSet<&str> = implemented().into_iter().map(|id| id.as_str()).collect();
    let rules = rules();
    let unimplemented: Vec<&str> = rules
        .iter()
        .map(|meta| meta.id.as_str())
        .filter(|id| !implemented.contains(id) && !PENDING.contains(id))
        .collect();
    assert!(
        unimplemented.is_empty(),
        "rules in rules/*.toml that no check emits: {unimplemented:?}"
    );
    let done: Vec<&&str> = PENDING
        .iter()
        .filter(|id| implemented.contains(**id))
        .collect();
    assert!(
        done.is_empty(),
        "implemented now, remove from PENDING: {done:?}"
    );
}

#[test]
fn ids_are_area_slash_kebab_name() {
    let pattern = Regex::new(r"^[a-z][a-z0-9]*/[a-z0-9]+(-[a-z0-9]+)*$").unwrap();
    let rules = rules();
    let ids = implemented()
        .into_iter()
        .map(|id| id.as_str())
        .chain(rules.iter().map(|meta| meta.id.as_str()));
    let bad: Vec<&str> = ids.filter(|id| !pattern.is_match(id)).collect();
    assert!(
        bad.is_empty(),
        "ids not of the form area/kebab-name: {bad:?}"
    );
}

#[test]
fn every_rule_is_fully_documented() {
    let mut problems = Vec::new();
    for meta in rules().iter() {
        for (section, text) in meta.doc_sections() {
            if text.is_empty() {
                problems.push(format!("{}: empty section {section:?}", meta.id));
            }
        }
        if meta.title.trim().is_empty() {
            problems.push(format!("{}: empty title", meta.id));
        }
        let help = meta.help.trim();
        if help.is_empty() || help.contains('\n') {
            problems.push(format!("{}: help must be one non-empty line", meta.id));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn thresholds_are_numbers() {
    for meta in rules().iter() {
        for (name, value) in &meta.thresholds {
            assert!(
                value.is_integer() || value.is_float(),
                "{}: threshold {name} is not a number",
                meta.id
            );
        }
    }
}

#[test]
fn every_threshold_handle_has_a_number_in_the_data() {
    let rules = rules();
    let mut problems = Vec::new();
    for family in FAMILIES {
        for threshold in family.thresholds {
            if !family.rules.contains(&threshold.rule()) {
                problems.push(format!(
                    "{threshold} ({}): the rule is not one of the family's",
                    family.name
                ));
            }
            let value = rules
                .get(threshold.rule().as_str())
                .and_then(|meta| meta.thresholds.get(threshold.key()));
            match value {
                Some(value) if value.is_integer() || value.is_float() => {}
                Some(_) => problems.push(format!("{threshold} ({}): not a number", family.name)),
                None => problems.push(format!(
                    "{threshold} ({}): not in rules/*.toml",
                    family.name
                )),
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_threshold_in_the_data_is_read_through_a_handle() {
    let handles: BTreeSet<(&str, &str)> = thresholds()
        .into_iter()
        .map(|t| (t.rule().as_str(), t.key()))
        .collect();
    let mut dead = Vec::new();
    for meta in rules().iter() {
        for name in meta.thresholds.keys() {
            if !handles.contains(&(meta.id.as_str(), name.as_str())) {
                dead.push(format!("{}.thresholds.{name}", meta.id));
            }
        }
    }
    assert!(
        dead.is_empty(),
        "thresholds in rules/*.toml that no family's THRESHOLDS lists: {dead:?}"
    );
}

#[test]
fn findings_take_help_and_reference_from_data() {
    let rules = rules();
    let finding = rules.finding(LOOKUP_LIMIT, "example.com", "12 lookups");
    let meta = rules.get("spf/lookup-limit").unwrap();
    assert_eq!(finding.help, meta.help);
    assert_eq!(finding.reference, "RFC 7208 §4.6.4");
    assert_eq!(rules.threshold(LOOKUP_LIMIT_MAX), 10.0);
    assert_eq!(rules.threshold(LOOKUP_LIMIT_WARN_FROM), 8.0);
}
