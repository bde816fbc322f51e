//! `mailaudit rules` output: the list and one rule's documentation.

use mailaudit::config::Config;
use mailaudit::report::rules::{write_doc, write_list};
use mailaudit::rules::Rules;

fn text(write: impl FnOnce(&mut Vec<u8>)) -> String {
    colored::control::set_override(false);
    let mut out = Vec::new();
    write(&mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn rule_doc() {
    let rules = Rules::builtin().unwrap();
    let meta = rules.get("spf/record-size").unwrap();
    insta::assert_snapshot!(text(|out| write_doc(&rules, meta, out).unwrap()));
}

#[test]
fn rule_list_shows_user_levels() {
    let mut rules = Rules::builtin().unwrap();
    let config = Config::parse(
        "[rules.\"spf/deprecated-rr\"]\nseverity = \"off\"\n",
        "mailaudit.toml",
    )
    .unwrap();
    rules.apply(&config).unwrap();
    let list = text(|out| write_list(&rules, out).unwrap());
    let line = list
        .lines()
        .find(|line| line.starts_with("spf/deprecated-rr "))
        .unwrap();
    assert_eq!(line.split_whitespace().nth(1), Some("off"), "{line}");
    // One line per rule plus the header, in id order.
    let ids: Vec<&str> = list
        .lines()
        .skip(1)
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    assert_eq!(ids.len(), rules.iter().count());
}
