//! Every row of the DMARC record vectors (`fixtures/conformance/dmarc/records.tsv`, a
//! byte-for-byte copy of `../shared/conformance/dmarc/`): the outcome under RFC 7489, under
//! RFC 9989 (the file's dmarcbis column) and by lenient receivers, and the file's proposed finding codes against the
//! findings of the audit of the record published at `_dmarc.example.com`.

use mailaudit::dmarc::{BisNote, DmarcRecord, Outcome, Reading, audit_dmarc};
use mailaudit::dns::{Rdata, Resolver, ZoneSet};
use mailaudit::rules::Rules;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;

/// Cells we believe are wrong: (row id, column, what the file says, what we say, why). A
/// disputed cell must still give exactly what we say; an entry that matches no cell, or
/// whose cell now agrees, fails the test, so the table only shrinks.
const DISPUTED: &[(&str, &str, &str, &str, &str)] = &[
    (
        "d31",
        "rfc7489",
        "valid",
        "tag-discarded",
        // `rua=dmarc@example.com`: §6.4 says `dmarc-auri = "rua" *WSP "=" *WSP dmarc-uri
        // ...` and `dmarc-uri = URI [...]`, with URI from RFC 3986 §3, which requires
        // `scheme ":"`. A bare address is at most a relative reference, not a URI, so the
        // rua value is a syntax error, and §6.3 says "Syntax errors in the remainder of the
        // record SHOULD be discarded in favor of default values (if any) or ignored
        // outright": the same class as d36 (`rua=`, tag-discarded), which carries the very
        // same codes (DMARC_RUA_INVALID_URI;DMARC_NO_VALID_RUA). The record itself still
        // applies (p=reject); only the tag is lost.
        "rua=dmarc@example.com is not a URI (RFC 3986 needs a scheme): the tag is discarded (§6.3), like d36",
    ),
    (
        "d31",
        "dmarcbis",
        "valid",
        "tag-discarded",
        // RFC 9989 keeps `dmarc-uri = URI` (it only drops the !size suffix) and the rule
        // that invalid tags are discarded; the scheme-less value is no more a URI there.
        "RFC 9989 keeps dmarc-uri = URI: a scheme-less address is still not one",
    ),
    (
        "d31",
        "lenient",
        "valid",
        "tag-discarded",
        // The lenient cell is blank, which the file defines as "same as rfc7489"; the row's
        // own note says receivers drop the address (checkdmarc raises InvalidDMARCReportURI),
        // which is what tag-discarded means.
        "blank cell = the rfc7489 cell disputed above; the row's note says receivers drop the address",
    ),
    (
        "d06",
        "lints",
        "",
        "dmarc/no-reports",
        // `v=DMARC1;p=reject` has no rua tag, exactly like d08 (`v = DMARC1 ; p = reject`)
        // and d09 (`v=DMARC1; p=Reject`), which the file marks DMARC_NO_RUA. Nothing about
        // the missing blanks changes that no aggregate reports are requested (§6.3 rua).
        "no rua tag, like d08 and d09 which the file marks DMARC_NO_RUA",
    ),
    (
        "d27",
        "lints",
        "dmarc/syntax",
        "dmarc/policy-none,dmarc/syntax",
        // `p=none ... fo=2`: the file's rfc7489 outcome is tag-discarded, i.e. the record
        // applies with fo at its default (§6.3), so p=none applies as in d24-d26, which the
        // file marks DMARC_P_NONE. Discarding fo cannot change the policy.
        "the record still applies with p=none (tag-discarded), as in d24-d26 marked DMARC_P_NONE",
    ),
    (
        "d13",
        "lints",
        "dmarc/no-reports,dmarc/syntax",
        "dmarc/no-reports,dmarc/receivers-disagree,dmarc/syntax",
        // `v=DMARC1` alone: the file's own outcomes say RFC 7489 receivers discard it
        // (invalid: no p and no rua to fall back on, §6.6.3) while RFC 9989 takes it as valid
        // with p=none (its note: "bis treats as p=none"). The two receiver models apply
        // different policies, which is what dmarc/receivers-disagree reports; the file
        // predates that rule.
        "the file's rfc7489 (invalid) and dmarcbis (valid, p=none) outcomes differ: the receivers disagree",
    ),
    (
        "d46",
        "lints",
        "dmarc/pct-partial",
        "dmarc/pct-partial,dmarc/receivers-disagree",
        // `p=reject; t=y`: RFC 9989 §4.7 (t=y) says the Domain Owner "has an expectation that
        // the policy applied to any failing messages will be one level below the specified
        // policy", so an RFC 9989 receiver applies quarantine, while RFC 7489 has no t tag
        // (unknown tags are ignored, §6.3) and applies reject. The two receiver models apply
        // different policies, which dmarc/receivers-disagree reports; the file predates it.
        "t=y: RFC 9989 (§4.7) applies quarantine, RFC 7489 (no t tag) applies reject: the receivers disagree",
    ),
    (
        "d20",
        "lints",
        "dmarc/no-reports,dmarc/syntax",
        "dmarc/no-reports,dmarc/syntax,dmarc/tag-removed",
        // `pct=101`: RFC 9989 Appendix C.5.2 removes the pct tag, whatever its value. The file
        // marks the removal (DMARC_PCT_REMOVED_BIS) on the rows with a valid pct (d05, d18,
        // d19, d48), and marks it for an invalid value of a removed tag too (d30, `ri=abc`,
        // DMARC_RF_RI_REMOVED_BIS); an invalid pct is no less removed. dmarc/syntax says
        // what RFC 7489 does with the value, dmarc/tag-removed what RFC 9989 does with the tag.
        "pct is removed by RFC 9989 whatever its value; the file marks it so for ri=abc (d30)",
    ),
    (
        "d21",
        "lints",
        "dmarc/no-reports,dmarc/syntax",
        "dmarc/no-reports,dmarc/syntax,dmarc/tag-removed",
        // `pct=abc`: as d20.
        "pct is removed by RFC 9989 whatever its value; the file marks it so for ri=abc (d30)",
    ),
];

/// What each proposed finding code of the file means here.
enum Lint {
    /// Reported by this rule.
    Rule(&'static str),
    /// Not a finding: a way RFC 9989 reads the record differently, which the record
    /// reports among its `dmarcbis_notes` (and the findings' messages mention). Any one of
    /// the notes must be present.
    Bis(&'static [BisNote]),
    /// A tag RFC 9989 removed (Appendix C.5.2): reported by dmarc/tag-removed, and the
    /// record's `dmarcbis_notes` carry one of the notes, except when the rule named in
    /// `unless` reports the same tag already (dmarc/pct-partial for a pct under 100).
    RemovedTag {
        notes: &'static [BisNote],
        unless: Option<&'static str>,
    },
    /// Not a finding of this auditor, for the reason given.
    NotAFinding(&'static str),
}

const LINTS: &[(&str, Lint)] = &[
    ("DMARC_P_NONE", Lint::Rule("dmarc/policy-none")),
    ("DMARC_NO_RUA", Lint::Rule("dmarc/no-reports")),
    // Receivers need support only mailto: (§6.2): an https-only rua gets no reports.
    ("DMARC_RUA_NON_MAILTO", Lint::Rule("dmarc/no-reports")),
    (
        "DMARC_EXTERNAL_DEST_NEEDS_AUTH",
        Lint::Rule("dmarc/report-unauthorized"),
    ),
    ("DMARC_PCT_PARTIAL", Lint::Rule("dmarc/pct-partial")),
    // t=y is RFC 9989's replacement for pct<100: the same rule reports it.
    ("DMARC_TESTING_FLAG", Lint::Rule("dmarc/pct-partial")),
    ("DMARC_SP_NONE", Lint::Rule("dmarc/subdomain-weaker")),
    ("DMARC_BAD_VERSION", Lint::Rule("dmarc/syntax")),
    ("DMARC_VERSION_NOT_FIRST", Lint::Rule("dmarc/syntax")),
    ("DMARC_LEADING_WHITESPACE", Lint::Rule("dmarc/syntax")),
    ("DMARC_MISSING_P", Lint::Rule("dmarc/syntax")),
    ("DMARC_INVALID_TAG_VALUE", Lint::Rule("dmarc/syntax")),
    ("DMARC_DUPLICATE_TAG", Lint::Rule("dmarc/syntax")),
    ("DMARC_SYNTAX", Lint::Rule("dmarc/syntax")),
    ("DMARC_RUA_INVALID_URI", Lint::Rule("dmarc/syntax")),
    // The dmarc/syntax finding on the discarded rua says no reports are sent.
    ("DMARC_NO_VALID_RUA", Lint::Rule("dmarc/syntax")),
    // Info-level dmarc/syntax: the ABNF order, accepted by receivers.
    ("DMARC_P_NOT_SECOND", Lint::Rule("dmarc/syntax")),
    // Info-level dmarc/syntax: ignored by receivers, often a typo.
    ("DMARC_UNKNOWN_TAG", Lint::Rule("dmarc/syntax")),
    // SPF text at _dmarc: no DMARC record; dmarc/missing names the SPF text.
    ("DMARC_SPF_AT_DMARC", Lint::Rule("dmarc/missing")),
    (
        "DMARC_PCT_REMOVED_BIS",
        Lint::RemovedTag {
            notes: &[BisNote::PctRemoved],
            unless: Some("dmarc/pct-partial"),
        },
    ),
    (
        "DMARC_RF_RI_REMOVED_BIS",
        Lint::RemovedTag {
            notes: &[BisNote::RfRemoved, BisNote::RiRemoved],
            unless: None,
        },
    ),
    (
        "DMARC_RUA_SIZE_LIMIT_OBSOLETE",
        Lint::Bis(&[BisNote::SizeSuffixRemoved]),
    ),
    (
        "DMARC_FO_REDUNDANT_0",
        Lint::NotAFinding(
            "fo=0:1 is valid (§6.3) and asks for exactly what fo=1 asks for: style, not a fault",
        ),
    ),
    (
        "DMARC_FO_WITHOUT_RUF",
        Lint::NotAFinding(
            "§6.3 says fo is ignored without ruf: harmless, and the default (fo=0) is what applies",
        ),
    ),
    (
        "DMARC_RUA_TOO_MANY",
        Lint::NotAFinding(
            "§6.2 lets receivers cap the URIs but requires at least two: the third is optional, not wrong",
        ),
    ),
    (
        "DMARC_RUF_RARELY_HONORED",
        Lint::NotAFinding(
            "an observation about receivers' practice, not about the record, which §6.3 allows",
        ),
    ),
];

struct Row {
    id: String,
    record: String,
    rfc7489: String,
    dmarcbis: String,
    lenient: String,
    lints: Vec<String>,
}

fn rows() -> Vec<Row> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/conformance/dmarc/records.tsv");
    let text = std::fs::read_to_string(path).expect("records.tsv is readable");
    let mut rows = Vec::new();
    let mut header_seen = false;
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        if !header_seen {
            assert_eq!(
                cols,
                [
                    "id", "record", "rfc7489", "dmarcbis", "lenient", "lints", "ref", "note"
                ],
                "header of records.tsv"
            );
            header_seen = true;
            continue;
        }
        assert_eq!(cols.len(), 8, "line {}: 8 columns", i + 1);
        rows.push(Row {
            id: cols[0].into(),
            // Used exactly as written: d42's leading blank is the point of the row.
            record: cols[1].into(),
            rfc7489: cols[2].into(),
            dmarcbis: cols[3].into(),
            lenient: if cols[4].is_empty() {
                cols[2].into()
            } else {
                cols[4].into()
            },
            lints: cols[5]
                .split(';')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        });
    }
    rows
}

/// The rules the audit of `record` at `_dmarc.example.com` reports. The vectors are about
/// the record, so the report domains they name receive mail (an MX each) and publish no
/// §7.1 authorization, as the file's DMARC_EXTERNAL_DEST_NEEDS_AUTH codes assume.
fn audited_rules(record: &str) -> BTreeSet<String> {
    let mut zones = ZoneSet::new();
    for domain in ["example.com", "thirdparty.example.net"] {
        zones.insert(
            domain,
            Rdata::Mx {
                preference: 10,
                exchange: format!("mx.{domain}"),
            },
        );
    }
    let strings: Vec<Vec<u8>> = record.as_bytes().chunks(255).map(<[u8]>::to_vec).collect();
    zones.insert("_dmarc.example.com", Rdata::Txt(strings));
    let resolver = Resolver::offline(zones);
    let rules = Rules::builtin().expect("builtin rules");
    let audit = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(audit_dmarc(&resolver, &rules, "example.com"));
    audit.findings.into_iter().map(|f| f.rule).collect()
}

/// Compare the codes of a row with the audit; `Err` says what differs (not the Bis notes).
fn check_lints(row: &Row, record: &DmarcRecord) -> (String, String, Vec<String>) {
    let mut want = BTreeSet::new();
    let mut problems = Vec::new();
    let notes = record.dmarcbis_notes();
    let mut removed: Vec<Option<&str>> = Vec::new();
    for code in &row.lints {
        match LINTS.iter().find(|(c, _)| c == code).map(|(_, l)| l) {
            Some(Lint::Rule(rule)) => {
                want.insert(rule.to_string());
            }
            Some(Lint::Bis(any)) => {
                if !any.iter().any(|n| notes.contains(n)) {
                    problems.push(format!("{code}: no RFC 9989 note {any:?} in {notes:?}"));
                }
            }
            Some(Lint::RemovedTag { notes: any, unless }) => {
                if !any.iter().any(|n| notes.contains(n)) {
                    problems.push(format!("{code}: no RFC 9989 note {any:?} in {notes:?}"));
                }
                removed.push(*unless);
            }
            Some(Lint::NotAFinding(reason)) => {
                if reason.is_empty() {
                    problems.push(format!("{code}: say why it is not a finding"));
                }
            }
            None => problems.push(format!("unknown code {code}: add it to LINTS")),
        }
    }
    // After every code is read, since `unless` names a rule another code asks for.
    for unless in removed {
        if !unless.is_some_and(|rule| want.contains(rule)) {
            want.insert("dmarc/tag-removed".to_string());
        }
    }
    let got = audited_rules(&row.record);
    let join = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(",");
    (join(&want), join(&got), problems)
}

#[test]
fn record_vectors() {
    let rows = rows();
    assert_eq!(rows.len(), 48, "SOURCE.md announces 48 record vectors");
    let mut agree = 0usize;
    let mut failures = Vec::new();
    let mut used = vec![false; DISPUTED.len()];
    for row in &rows {
        let record = DmarcRecord::parse(row.record.as_bytes());
        let (want_lints, got_lints, lint_problems) = check_lints(row, &record);
        let cells = [
            (
                "rfc7489",
                row.rfc7489.clone(),
                record.outcome(Reading::Rfc7489).to_string(),
            ),
            (
                "dmarcbis",
                row.dmarcbis.clone(),
                record.outcome(Reading::Dmarcbis).to_string(),
            ),
            (
                "lenient",
                row.lenient.clone(),
                record.outcome(Reading::Lenient).to_string(),
            ),
            ("lints", want_lints, got_lints),
        ];
        let mut row_ok = lint_problems.is_empty();
        for problem in lint_problems {
            failures.push(format!("{}: {problem}", row.id));
        }
        for (column, file, ours) in cells {
            let dispute = DISPUTED
                .iter()
                .position(|(id, col, said, _, _)| *id == row.id && *col == column && *said == file);
            match dispute {
                Some(i) => {
                    used[i] = true;
                    let disputed_as = DISPUTED[i].3;
                    if ours == file {
                        failures.push(format!(
                            "{} {column}: agrees now, remove it from DISPUTED",
                            row.id
                        ));
                        row_ok = false;
                    } else if ours != disputed_as {
                        failures.push(format!(
                            "{} {column}: disputed as {disputed_as}, but got {ours}",
                            row.id
                        ));
                        row_ok = false;
                    } else {
                        row_ok = false;
                    }
                }
                None if ours == file => {}
                None => {
                    failures.push(format!(
                        "{} {column}: file says {file:?}, we say {ours:?} for {:?} (problems {:?})",
                        row.id, row.record, record.problems
                    ));
                    row_ok = false;
                }
            }
        }
        if row_ok {
            agree += 1;
        }
    }
    for (i, used) in used.iter().enumerate() {
        if !used {
            failures.push(format!(
                "DISPUTED {} {} matches no cell",
                DISPUTED[i].0, DISPUTED[i].1
            ));
        }
    }
    let disputed_rows: BTreeSet<&str> = DISPUTED.iter().map(|d| d.0).collect();
    let mut summary = format!(
        "dmarc records: {agree}/{} agree, {} disputed ({} cells)\n",
        rows.len(),
        disputed_rows.len(),
        DISPUTED.len()
    );
    for (id, column, said, ours, why) in DISPUTED {
        summary.push_str(&format!(
            "DISPUTED {id} {column}: file says {said:?}, we say {ours:?}: {why}\n"
        ));
    }
    for f in &failures {
        summary.push_str(&format!("FAIL {f}\n"));
    }
    let _ = std::io::stdout().write_all(summary.as_bytes());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(agree + disputed_rows.len(), rows.len());
}

/// The outcomes the file uses, so a new one in an updated copy is noticed.
#[test]
fn the_file_uses_known_outcomes() {
    for row in rows() {
        for cell in [&row.rfc7489, &row.dmarcbis, &row.lenient] {
            assert!(Outcome::parse(cell).is_some(), "{}: outcome {cell}", row.id);
        }
    }
}
