//! Property tests of the stats reader and the sender audit: no input makes them panic, every
//! refusal names a line and column inside the input, and the order of the rows never
//! changes the judgement.

use mailaudit::rules::Rules;
use mailaudit::sender::dataset::Dataset;
use mailaudit::sender::input::read_from;
use mailaudit::sender::{ReadOptions, SenderOptions, StatsError, audit};
use proptest::prelude::*;

const HEADER: &str =
    "date,domain,sent,delivered,hard_bounces,soft_bounces,complaints,unsubscribes,ip,provider";

/// Read `bytes` as one file and audit it; the result of the read.
fn read_and_audit(bytes: &[u8], options: &ReadOptions) -> Result<usize, StatsError> {
    let mut dataset = Dataset::new();
    let file = dataset.add_file("input");
    read_from(bytes, "input", file, options, &mut dataset)?;
    let grouped = dataset.finish()?;
    let rules = Rules::builtin().unwrap();
    let run = audit(grouped, &rules, &SenderOptions::default())?;
    for result in &run.results {
        assert!(result.facts.score.value <= 100);
        assert!(result.facts.next_day.date > result.facts.last_date);
        for finding in &result.findings {
            assert!(finding.rule.starts_with("sender/"));
            assert!(
                !finding.message.chars().any(char::is_control),
                "{finding:?}"
            );
        }
    }
    Ok(run.results.len())
}

fn check_error(err: &StatsError, bytes: &[u8]) {
    if let StatsError::Input { line, column, .. } = err {
        let lines = bytes.iter().filter(|&&b| b == b'\n').count() as u64 + 2;
        assert!(
            *line >= 1 && *line <= lines,
            "line {line} of {lines}: {err}"
        );
        assert!(*column >= 1, "{err}");
    }
    assert!(!err.to_string().chars().any(|c| c.is_control()), "{err:?}");
}

/// (day, domain, sent, delivered, hard, soft, complaints, ip, provider) of one row.
type TestRow = (u16, u8, u64, u64, u64, u64, u64, u8, u8);

/// One plausible row: a few domains, dates in one year, counts that keep delivered <= sent,
/// bounces <= sent and complaints (and unsubscribes, half of them) <= delivered.
fn row() -> impl Strategy<Value = TestRow> {
    (
        0u16..120,
        0u8..3,
        0u64..50_000,
        0u64..=100,
        0u64..500,
        0u64..500,
        0u64..200,
        0u8..3,
        0u8..3,
    )
        .prop_map(
            |(day, domain, sent, pct, hard, soft, complaints, ip, provider)| {
                let delivered = sent * pct / 100;
                let (hard, soft) = (hard.min(sent), soft.min(sent));
                let complaints = complaints.min(delivered);
                (
                    day, domain, sent, delivered, hard, soft, complaints, ip, provider,
                )
            },
        )
}

fn render(rows: &[TestRow]) -> String {
    let mut text = format!("{HEADER}\n");
    for (day, domain, sent, delivered, hard, soft, complaints, ip, provider) in rows {
        let date = mailaudit::sender::Date::parse("2024-01-01")
            .unwrap()
            .add_days(i32::from(*day));
        let ip = ["", "192.0.2.1", "2001:db8::2"][usize::from(*ip)];
        let provider = ["", "gmail", "yahoo"][usize::from(*provider)];
        text.push_str(&format!(
            "{date},d{domain}.example,{sent},{delivered},{hard},{soft},{complaints},{},{ip},{provider}\n",
            complaints / 2
        ));
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Err(err) = read_and_audit(&bytes, &ReadOptions::default()) {
            check_error(&err, &bytes);
        }
    }

    #[test]
    fn arbitrary_text_after_a_header_never_panics(body in "[-0-9a-z.,:\"\\[\\]{} \n\r\t]{0,400}") {
        for prefix in [format!("{HEADER}\n"), String::from("[")] {
            let bytes = format!("{prefix}{body}").into_bytes();
            if let Err(err) = read_and_audit(&bytes, &ReadOptions { max_record_bytes: 64 }) {
                check_error(&err, &bytes);
            }
        }
    }

    #[test]
    fn edited_valid_files_never_panic(
        rows in proptest::collection::vec(row(), 1..40),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let mut bytes = render(&rows).into_bytes();
        for (at, byte) in edits {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        if let Err(err) = read_and_audit(&bytes, &ReadOptions::default()) {
            check_error(&err, &bytes);
        }
    }

    /// Valid rows read and audit in any order with the same result (duplicates aside, which
    /// are refused whatever the order).
    #[test]
    fn row_order_does_not_matter(
        rows in proptest::collection::vec(row(), 1..80),
        seed in any::<u64>(),
    ) {
        let mut shuffled = rows.clone();
        // A deterministic shuffle from the seed.
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let audit_text = |text: String| {
            let mut dataset = Dataset::new();
            let file = dataset.add_file("input");
            read_from(text.as_bytes(), "input", file, &ReadOptions::default(), &mut dataset)?;
            let grouped = dataset.finish()?;
            let rules = Rules::builtin().unwrap();
            let run = audit(grouped, &rules, &SenderOptions::default())?;
            Ok::<_, StatsError>(
                run.results
                    .into_iter()
                    .map(|mut r| {
                        for f in &mut r.findings {
                            f.location = None;
                        }
                        (r.domain, r.facts, r.findings)
                    })
                    .collect::<Vec<_>>(),
            )
        };
        match (audit_text(render(&rows)), audit_text(render(&shuffled))) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(a), Err(b)) => prop_assert_eq!(a.kind(), b.kind()),
            (a, b) => prop_assert!(false, "{:?} vs {:?}", a.err(), b.err()),
        }
    }
}
