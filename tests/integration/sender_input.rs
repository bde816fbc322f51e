//! Stats input: every kind of bad file is an input error naming file:line:column (exit 2 on
//! the command line, never a panic), and good files in either format read the same.

use mailaudit::sender::{ErrorKind, ReadOptions, StatsError, read_files};
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/stats")
        .join(name)
}

fn malformed(name: &str) -> PathBuf {
    fixture(&format!("malformed/{name}"))
}

/// Every bad file of `fixtures/stats/malformed/`: the kind of error, its line and column,
/// and a word of the message.
const BAD_FILES: &[(&str, ErrorKind, u64, u64, &str)] = &[
    ("empty.csv", ErrorKind::Empty, 1, 1, "empty"),
    // Only blank lines: line 4 is where a header was still expected.
    ("blank.csv", ErrorKind::Empty, 4, 1, "empty"),
    ("header-only.csv", ErrorKind::NoRows, 2, 1, "no data rows"),
    // The first `;` of the header.
    ("semicolons.csv", ErrorKind::Delimiter, 1, 5, "semicolons"),
    (
        "missing-column.csv",
        ErrorKind::MissingColumn,
        1,
        1,
        "complaints",
    ),
    ("bad-date.csv", ErrorKind::Date, 3, 1, "2024-02-30"),
    // `-5` is the third field of line 3: after "2024-05-02,a.example," (21 bytes).
    ("negative.csv", ErrorKind::Negative, 3, 22, "negative"),
    ("non-numeric.csv", ErrorKind::NotANumber, 3, 22, "1,200"),
    (
        "delivered-over-sent.csv",
        ErrorKind::DeliveredOverSent,
        2,
        26,
        "more than sent",
    ),
    // Line 5 repeats line 2's key in other spellings (A.example., Gmail).
    (
        "duplicate-key.csv",
        ErrorKind::DuplicateKey,
        5,
        1,
        "duplicate-key.csv:2",
    ),
    ("field-count.csv", ErrorKind::FieldCount, 2, 37, "9 fields"),
    (
        "unclosed-quote.csv",
        ErrorKind::Quoting,
        2,
        12,
        "not closed",
    ),
    (
        "bad-domain.csv",
        ErrorKind::Domain,
        2,
        12,
        "not a domain name",
    ),
    ("bad-ip.csv", ErrorKind::Ip, 2, 37, "192.0.2.300"),
    ("not-utf8.csv", ErrorKind::Encoding, 2, 12, "UTF-8"),
    (
        "wrong-shape.json",
        ErrorKind::Shape,
        1,
        1,
        "expected an array",
    ),
    (
        "json-not-object.json",
        ErrorKind::Shape,
        3,
        39,
        "expected a row object",
    ),
    // Columns of JSON fields are those of their keys.
    (
        "json-string-count.json",
        ErrorKind::NotANumber,
        3,
        4,
        "must be a JSON number",
    ),
    ("json-negative.json", ErrorKind::Negative, 4, 42, "negative"),
    (
        "json-missing-key.json",
        ErrorKind::Missing,
        2,
        3,
        "no key complaints",
    ),
    ("json-syntax.json", ErrorKind::Syntax, 3, 61, "expected `,`"),
    ("json-bad-date.json", ErrorKind::Date, 1, 3, "05/01/2024"),
    (
        "json-delivered-over-sent.json",
        ErrorKind::DeliveredOverSent,
        1,
        61,
        "more than sent",
    ),
    // Each count above the base of its rate: the rate would read 500 % or 1,000 %.
    (
        "hard-bounces-over-sent.csv",
        ErrorKind::CountOverBase,
        2,
        28,
        "hard_bounces (500) is more than sent (100)",
    ),
    (
        "complaints-over-delivered.csv",
        ErrorKind::CountOverBase,
        3,
        33,
        "complaints (95) is more than delivered (90)",
    ),
    (
        "json-unsubscribes-over-delivered.json",
        ErrorKind::CountOverBase,
        1,
        133,
        "unsubscribes (1000) is more than delivered (50)",
    ),
    (
        "json-duplicate-key.json",
        ErrorKind::DuplicateKey,
        4,
        3,
        "json-duplicate-key.json:2",
    ),
    ("json-empty-array.json", ErrorKind::NoRows, 2, 1, "no rows"),
];

fn input_error(err: &StatsError) -> (ErrorKind, u64, u64, String) {
    match err {
        StatsError::Input {
            kind,
            line,
            column,
            message,
            ..
        } => (*kind, *line, *column, message.clone()),
        other => panic!("not an input error: {other}"),
    }
}

#[test]
fn every_bad_file_is_an_input_error_at_its_line_and_column() {
    assert!(BAD_FILES.len() >= 20);
    let mut problems = Vec::new();
    for (name, kind, line, column, needle) in BAD_FILES {
        let err = match read_files(&[malformed(name)], &ReadOptions::default()) {
            Ok(_) => {
                problems.push(format!("{name}: read without error"));
                continue;
            }
            Err(err) => err,
        };
        let got = input_error(&err);
        if (got.0, got.1, got.2) != (*kind, *line, *column) || !got.3.contains(needle) {
            problems.push(format!(
                "{name}: expected {kind:?} at {line}:{column} with {needle:?}, got {got:?}"
            ));
        }
        // The error names the file as given.
        assert!(err.to_string().contains(name), "{err}");
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_duplicate_across_files_names_both() {
    let err = read_files(
        &[malformed("dup-a.csv"), malformed("dup-b.csv")],
        &ReadOptions::default(),
    )
    .unwrap_err();
    let (kind, line, column, message) = input_error(&err);
    assert_eq!((kind, line, column), (ErrorKind::DuplicateKey, 3, 1));
    assert!(err.to_string().contains("dup-b.csv:3:1:"), "{err}");
    assert!(message.contains("dup-a.csv:2"), "{message}");
}

/// The binary on each bad file: exit 2, `file:line:column:` on stderr (the path in its one
/// form: relative to the working directory when under it), nothing on stdout.
#[test]
fn the_command_exits_2_on_every_bad_file() {
    for (name, _, line, column, _) in BAD_FILES {
        let path = malformed(name);
        let out = Command::new(env!("CARGO_BIN_EXE_mailaudit"))
            .args(["sender", "--format", "json"])
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(out.stdout.is_empty(), "{name}: report written");
        let at = format!("{}:{line}:{column}: ", mailaudit::path::display(&path));
        assert!(stderr.contains(&at), "{name}: {stderr}");
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    }
}

/// A 1 GB file of one line, sparse (no disk blocks): the line guard stops the read after the
/// limit instead of buffering the line. The same file with a header first fails on line 2.
#[test]
fn a_one_gigabyte_line_is_refused_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let one_line = dir.path().join("one-line.csv");
    std::fs::File::create(&one_line)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let with_header = dir.path().join("with-header.csv");
    {
        use std::io::Write;
        let mut file = std::fs::File::create(&with_header).unwrap();
        file.write_all(
            b"date,domain,sent,delivered,hard_bounces,soft_bounces,complaints,unsubscribes\n",
        )
        .unwrap();
        file.set_len(1 << 30).unwrap();
    }
    let started = std::time::Instant::now();
    for (path, line) in [(&one_line, 1), (&with_header, 2)] {
        let out = Command::new(env!("CARGO_BIN_EXE_mailaudit"))
            .arg("sender")
            .arg(path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        let at = format!("{}:{line}:65537: ", path.display());
        assert!(stderr.contains(&at), "{stderr}");
        assert!(stderr.contains("longer than 65536 bytes"), "{stderr}");
    }
    // Reading 2 GB would take far longer than reading 128 KiB.
    assert!(started.elapsed().as_secs() < 60);
}

#[test]
fn the_record_limit_is_an_option() {
    let small = ReadOptions {
        max_record_bytes: 40,
    };
    // The header line of established.csv is longer than 40 bytes.
    let err = read_files(&[fixture("established.csv")], &small).unwrap_err();
    assert_eq!(input_error(&err).0, ErrorKind::TooLong);
    assert!(err.to_string().contains("established.csv:1:41:"), "{err}");
    // A JSON row over the limit (a long string, no newline needed).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.json");
    let long = "x".repeat(200);
    std::fs::write(&path, format!("[{{\"date\": \"{long}\"}}]")).unwrap();
    let err = read_files(&[&path], &small).unwrap_err();
    let (kind, line, _, message) = input_error(&err);
    assert_eq!((kind, line), (ErrorKind::TooLong, 1), "{message}");
    // With the default limit the same file is only a row without its counts.
    let err = read_files(&[&path], &ReadOptions::default()).unwrap_err();
    assert_eq!(input_error(&err).0, ErrorKind::Missing);
}

#[test]
fn json_and_csv_of_the_same_rows_read_the_same() {
    let csv = read_files(&[fixture("providers.csv")], &ReadOptions::default()).unwrap();
    let json = read_files(&[fixture("providers.json")], &ReadOptions::default()).unwrap();
    assert_eq!(csv.rows, 34);
    assert_eq!(csv.rows, json.rows);
    assert!(csv.has_ip && csv.has_provider);
    let strip = |g: &mailaudit::sender::dataset::Grouped| {
        g.domains
            .iter()
            .map(|d| {
                let series: Vec<_> = d
                    .series
                    .iter()
                    .map(|s| {
                        let days: Vec<_> = s.entries.iter().map(|e| (e.date, e.counts)).collect();
                        (s.ip.clone(), s.provider.clone(), days)
                    })
                    .collect();
                (d.domain.clone(), series)
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&csv), strip(&json));
}

/// Quoted fields, CRLF, a byte order mark, columns in another order and in capitals, extra
/// columns, blank lines, spaces around values and rows in any order are all fine.
#[test]
fn ordinary_csv_variations_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.csv");
    std::fs::write(
        &path,
        "\u{feff}Campaign,Provider,DATE,Domain,Sent,Delivered,Hard_Bounces,Soft_Bounces,Complaints,Unsubscribes,IP\r\n\
         \"Spring, sale\",Gmail,2024-05-02,News.Example.,\"1000\",990,5,5,1,2, 2001:db8::7 \r\n\
         \r\n\
         x,,2024-05-01, news.example , 900 ,890,4,6,0,1,\r\n",
    )
    .unwrap();
    let grouped = read_files(&[&path], &ReadOptions::default()).unwrap();
    assert_eq!(grouped.rows, 2);
    assert_eq!(grouped.domains.len(), 1);
    let domain = &grouped.domains[0];
    assert_eq!(domain.domain, "news.example");
    let keys: Vec<_> = domain
        .series
        .iter()
        .map(|s| (s.ip.as_deref(), s.provider.as_deref(), s.entries.len()))
        .collect();
    assert_eq!(
        keys,
        [(None, None, 1), (Some("2001:db8::7"), Some("gmail"), 1)]
    );
    assert_eq!(domain.series[1].entries[0].counts.sent, 1000);
    assert_eq!(grouped.newest.unwrap().0.to_string(), "2024-05-02");
}

#[test]
fn unreadable_files_are_read_errors() {
    let err = read_files(&[fixture("no-such-file.csv")], &ReadOptions::default()).unwrap_err();
    assert!(matches!(err, StatsError::Read { .. }), "{err}");
    assert!(err.to_string().contains("no-such-file.csv"));
    let err = read_files(&[fixture("malformed")], &ReadOptions::default()).unwrap_err();
    assert!(matches!(err, StatsError::Read { .. }), "{err}");
}
