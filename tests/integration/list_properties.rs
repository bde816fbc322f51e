//! Property tests of `mailaudit list`: no recipients row, however mangled, panics the check
//! or stops it (only the header can); every row is counted once and either kept or removed by
//! `--clean-out`; no finding message holds a control character; the address normal form is
//! stable (normalising a normal form gives it back).

use mailaudit::list::address;
use mailaudit::list::audit::{CleanTarget, read_suppressions};
use mailaudit::list::{ListOptions, audit_list};
use mailaudit::rules::Rules;
use proptest::prelude::*;

/// Rows built from pieces of addresses and CSV syntax, and raw bytes.
fn row() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"ana@good.list.example".to_vec()),
        Just(b"\"quoted local\"@x.example".to_vec()),
        Just(b"@".to_vec()),
        Just(b",".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"\r".to_vec()),
        Just(b".".to_vec()),
        Just(b"[192.0.2.1]".to_vec()),
        Just("bücher.example".as_bytes().to_vec()),
        Just(b"\x1b[31m".to_vec()),
        Just(b"\xff\xfe".to_vec()),
        Just(b"info".to_vec()),
        Just(b"mailinator.com".to_vec()),
        prop::collection::vec(any::<u8>(), 0..12),
    ];
    prop::collection::vec(piece, 0..8).prop_map(|pieces| {
        pieces
            .concat()
            .into_iter()
            .filter(|b| *b != b'\n')
            .collect()
    })
}

fn check(rows: &[Vec<u8>]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.csv");
    let mut text = b"name,email,plan\n".to_vec();
    for row in rows {
        text.extend_from_slice(row);
        text.push(b'\n');
    }
    std::fs::write(&path, &text).unwrap();
    let rules = Rules::builtin().unwrap();
    let suppressions = read_suppressions(&[]).unwrap();
    let mut out = Vec::new();
    let result = audit_list(
        &path,
        &suppressions,
        &rules,
        &ListOptions::default(),
        None,
        Some(CleanTarget {
            name: "clean.csv".into(),
            out: &mut out,
        }),
    )
    .expect("a bad row is a finding, never an error");
    let data_rows = rows.iter().filter(|r| !r.trim_ascii().is_empty()).count() as u64;
    assert_eq!(result.facts.rows, data_rows);
    let clean = result.facts.clean_out.as_ref().unwrap();
    assert_eq!(clean.kept + clean.removed, data_rows);
    assert!(result.facts.valid <= data_rows);
    assert!(result.facts.distinct <= result.facts.valid);
    // The cleaned file is the header and `kept` lines.
    assert_eq!(
        out.iter().filter(|b| **b == b'\n').count() as u64,
        clean.kept + 1
    );
    for finding in &result.findings {
        assert!(
            !finding.message.chars().any(|c| c.is_control()),
            "{finding:?}"
        );
    }
}

/// A suppression list of these lines after a header (or as plain text) is read in full or
/// refused at a line inside the file, never a panic.
fn check_suppressions(header: bool, rows: &[Vec<u8>]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.csv");
    let mut text = if header {
        b"address,reason,first_date,last_date,source\n".to_vec()
    } else {
        Vec::new()
    };
    for row in rows {
        text.extend_from_slice(row);
        text.push(b'\n');
    }
    std::fs::write(&path, &text).unwrap();
    match read_suppressions(&[path]) {
        Ok(read) => assert!(read.len() <= rows.len()),
        Err(mailaudit::list::ListError::Suppression { line, message, .. }) => {
            let lines = rows.len() as u64 + u64::from(header);
            assert!(
                line >= 1 && line <= lines,
                "line {line} of {lines}: {message}"
            );
            assert!(!message.chars().any(|c| c.is_control()), "{message}");
        }
        Err(other) => panic!("{other}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn no_suppression_row_panics(header in any::<bool>(), rows in prop::collection::vec(row(), 0..8)) {
        check_suppressions(header, &rows);
    }

    #[test]
    fn no_row_panics_or_stops_the_check(rows in prop::collection::vec(row(), 0..12)) {
        check(&rows);
    }

    #[test]
    fn the_normal_form_is_stable(text in "\\PC{0,40}") {
        if let Ok(a) = address::parse(&text) {
            let again = address::parse(&a.normal()).expect("a normal form parses");
            prop_assert_eq!(again.normal(), a.normal());
        }
        let _ = address::mask(&text);
    }
}

#[test]
fn a_line_of_a_megabyte_is_one_unreadable_row() {
    let long = vec![b'a'; 1 << 20];
    check(&[
        b"x,ok@good.list.example,y".to_vec(),
        long,
        b"z,\"open,".to_vec(),
    ]);
}
