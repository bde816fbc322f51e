//! Every SMTP TLS report of the feedback corpus (parsedmarc's samples, the RFC 8460 example,
//! stalwart mail-auth's samples with their expected parse results), bare, gzip or e-mailed,
//! is taken out of its container as the command does and read, and the mail-auth samples
//! agree with their expected JSON on every field both have.

use mailaudit::reports::{ParsedTls, ResultType, parse_tls, payloads};
use serde_json::Value;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/conformance/feedback/tlsrpt")
}

/// The samples: the folder's files and its mail-auth/ folder's.
fn files() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = [corpus(), corpus().join("mail-auth")]
        .iter()
        .flat_map(|dir| std::fs::read_dir(dir).unwrap())
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    out.sort();
    out
}

fn name(path: &Path) -> String {
    path.strip_prefix(corpus())
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// Every report in a file, or why the file holds none.
fn read(bytes: &[u8]) -> Result<Vec<ParsedTls>, String> {
    let parts = payloads(bytes).map_err(|e| e.to_string())?;
    parts
        .iter()
        .map(|p| parse_tls(&p.bytes).map_err(|e| format!("{}: {e}", p.part)))
        .collect()
}

#[test]
fn every_tls_report_is_read_or_refused_with_a_reason() {
    // Files read with a deviation, and the problems each must carry (no other file may
    // have any).
    let flawed: &[(&str, &[&str])] = &[
        // RFC 8460 §4.4's own example writes mx-host as one string; its schema says a list.
        (
            "rfc8460.json",
            &["policies[0].policy.mx-host is a string, not a list of strings"],
        ),
        // Mail.ru counts two fetch errors against one failed session.
        (
            "mail.ru.json",
            &[
                "policies[0].failure-details count 2 failed sessions, more than the 1 of total-failure-session-count",
            ],
        ),
        (
            "mail-auth/rpt03.json",
            &[
                "policies[0].policy.policy-domain is missing",
                "policies[0].summary.total-failure-session-count is missing",
                "policies[1].policy.policy-type \"invalid-policy-type\" is not one of",
            ],
        ),
    ];
    let mut read_ok = 0;
    let mut policies = 0;
    let mut failures = 0;
    let mut wrong = Vec::new();
    for path in files() {
        let name = name(&path);
        match read(&std::fs::read(&path).unwrap()) {
            Ok(reports) if reports.len() == 1 => {
                read_ok += 1;
                let parsed = &reports[0];
                policies += parsed.report.policies.len();
                failures += parsed
                    .report
                    .policies
                    .iter()
                    .map(|p| p.failure_details.len())
                    .sum::<usize>();
                let said: Vec<&str> = parsed.problems.iter().map(|p| p.message.as_str()).collect();
                for p in &said {
                    eprintln!("{name}: {p}");
                }
                let want: &[&str] = flawed
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map_or(&[], |(_, w)| w);
                for w in want {
                    if !said.iter().any(|p| p.contains(w)) {
                        wrong.push(format!("{name}: no problem {w:?} in {said:?}"));
                    }
                }
                if want.is_empty() && !said.is_empty() {
                    wrong.push(format!("{name}: unexpected problems {said:?}"));
                }
                if parsed.report.policies.is_empty() {
                    wrong.push(format!("{name}: read, but no policy"));
                }
            }
            Ok(reports) => wrong.push(format!("{name}: {} reports, not one", reports.len())),
            Err(why) => wrong.push(format!("{name}: refused: {why}")),
        }
    }
    eprintln!(
        "TLS reports: {read_ok} files read ({policies} policies, {failures} failure details)"
    );
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert_eq!(read_ok, 9);
}

/// Compare `theirs` (mail-auth's expected JSON, RFC 8460 names) with `ours` (our report as
/// JSON, `-` written `_`) on every field both have: counts each field, notes each difference.
fn compare(theirs: &Value, ours: &Value, path: &str, compared: &mut usize, out: &mut Vec<String>) {
    match (theirs, ours) {
        (Value::Object(t), Value::Object(o)) => {
            for (key, value) in t {
                let ours_key = key.replace('-', "_");
                match o.get(&ours_key) {
                    Some(mine) => {
                        compare(value, mine, &format!("{path}.{ours_key}"), compared, out)
                    }
                    None => out.push(format!("{path}.{key}: we have no such field")),
                }
            }
        }
        (Value::Array(t), Value::Array(o)) => {
            *compared += 1;
            if t.len() != o.len() {
                out.push(format!("{path}: {} entries, we have {}", t.len(), o.len()));
            }
            for (i, (a, b)) in t.iter().zip(o).enumerate() {
                compare(a, b, &format!("{path}[{i}]"), compared, out);
            }
        }
        // RFC 8460's example writes one mx-host as a string; we always keep a list.
        (Value::String(_), Value::Array(o)) if o.len() == 1 => {
            compare(theirs, &o[0], path, compared, out)
        }
        (Value::String(t), Value::String(o)) => {
            *compared += 1;
            // Addresses are compared as addresses: 2001:db8:abcd:0012::1 is 2001:db8:abcd:12::1.
            let same = match (t.parse::<IpAddr>(), o.parse::<IpAddr>()) {
                (Ok(a), Ok(b)) => a == b,
                _ => t == o,
            };
            if !same {
                out.push(format!("{path}: theirs {t:?}, ours {o:?}"));
            }
        }
        (t, o) => {
            *compared += 1;
            if t != o {
                out.push(format!("{path}: theirs {t}, ours {o}"));
            }
        }
    }
}

#[test]
fn the_mail_auth_samples_agree_with_their_expected_json() {
    // mail-auth's test: each rptNN.eml parses to rptNN.json, and each .json parses to itself.
    let dir = corpus().join("mail-auth");
    let pairs = [
        ("rpt01.eml", "rpt01.json"),
        ("rpt02.eml", "rpt02.json"),
        ("rpt01.json", "rpt01.json"),
        ("rpt02.json", "rpt02.json"),
        ("rpt03.json", "rpt03.json"),
    ];
    let mut compared = 0;
    let mut disagree = Vec::new();
    for (sample, expected) in pairs {
        let reports = read(&std::fs::read(dir.join(sample)).unwrap())
            .unwrap_or_else(|e| panic!("{sample}: {e}"));
        assert_eq!(reports.len(), 1, "{sample}");
        let theirs: Value =
            serde_json::from_slice(&std::fs::read(dir.join(expected)).unwrap()).unwrap();
        let ours = serde_json::to_value(&reports[0].report).unwrap();
        compare(&theirs, &ours, sample, &mut compared, &mut disagree);
    }
    eprintln!(
        "mail-auth TLS samples: {} files, {compared} fields compared, {} disagree",
        pairs.len(),
        disagree.len()
    );
    assert!(disagree.is_empty(), "{disagree:#?}");
    assert_eq!(compared, 120);
}

#[test]
fn a_deviating_report_is_read_leniently_and_unknown_counts_stay_unknown() {
    let rfc = parse_tls(&std::fs::read(corpus().join("rfc8460.json")).unwrap()).unwrap();
    let policy = &rfc.report.policies[0];
    assert_eq!(policy.policy.mx_host, ["*.mail.company-y.example"]);
    assert_eq!(policy.policy.policy_string.len(), 4);
    let types: Vec<&ResultType> = policy
        .failure_details
        .iter()
        .map(|d| &d.result_type)
        .collect();
    assert_eq!(
        types,
        [
            &ResultType::CertificateExpired,
            &ResultType::StarttlsNotSupported,
            &ResultType::ValidationFailure
        ]
    );
    assert_eq!(
        policy.failure_details[0].sending_mta_ip,
        Some("2001:db8:abcd:12::1".parse().unwrap())
    );
    assert_eq!(rfc.report.date_range.start, Some(1_459_468_800));

    // A count the reporter left out is unknown, not zero: "no failures" is not a conclusion
    // this report allows.
    let rpt03 = parse_tls(&std::fs::read(corpus().join("mail-auth/rpt03.json")).unwrap()).unwrap();
    let summary = &rpt03.report.policies[0].summary;
    assert_eq!(summary.total_successful_session_count, Some(1));
    assert_eq!(summary.total_failure_session_count, None);

    // An unknown result type is kept as written, with a problem.
    let odd = String::from_utf8(std::fs::read(corpus().join("smtp_tls.json")).unwrap())
        .unwrap()
        .replacen("validation-failure", "tls-downgraded", 1);
    let parsed = parse_tls(odd.as_bytes()).unwrap();
    assert_eq!(
        parsed.report.policies[0].failure_details[0].result_type,
        ResultType::Other("tls-downgraded".into())
    );
    assert!(
        parsed.problems.iter().any(|p| p
            .message
            .contains("\"tls-downgraded\" is not one of RFC 8460 §4.3")),
        "{:?}",
        parsed.problems
    );
}

#[test]
fn broken_json_is_an_error_with_its_line() {
    let text = std::fs::read_to_string(corpus().join("rfc8460.json")).unwrap();
    let line = 1 + text
        .lines()
        .position(|l| l.contains("\"certificate-expired\""))
        .unwrap();
    let broken = text.replacen("\"certificate-expired\"", "certificate-expired", 1);
    let e = parse_tls(broken.as_bytes()).unwrap_err();
    assert_eq!(e.line, line, "{e}");
    assert!(e.message.contains("not valid JSON"), "{e}");
    // A report cut short says so at its last line.
    let cut = &text.as_bytes()[..text.len() / 2];
    let e = parse_tls(cut).unwrap_err();
    assert_eq!(e.line, text[..text.len() / 2].lines().count(), "{e}");
}

#[test]
fn a_report_cut_anywhere_or_corrupted_never_panics() {
    // Every prefix and every flipped byte of every sample, through the container as the
    // command reads it: an error or a report, never a panic.
    let mut errors = 0;
    let mut tried = 0;
    for path in files() {
        let bytes = std::fs::read(&path).unwrap();
        for end in 0..bytes.len() {
            tried += 1;
            if read(&bytes[..end]).is_err() {
                errors += 1;
            }
        }
        for i in 0..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[i] ^= 0xff;
            let _ = read(&flipped);
            let _ = parse_tls(&flipped);
        }
    }
    // Almost every cut leaves broken JSON, a broken gzip or a message without its report.
    assert!(errors > tried * 9 / 10, "{errors} of {tried}");
}

mod properties {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn result_type() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "starttls-not-supported",
                "certificate-host-mismatch",
                "certificate-expired",
                "certificate-not-trusted",
                "validation-failure",
                "tlsa-invalid",
                "dnssec-invalid",
                "dane-required",
                "sts-policy-fetch-error",
                "sts-policy-invalid",
                "sts-webpki-invalid",
            ])
            .prop_map(str::to_string),
            "[a-z-]{1,20}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

        #[test]
        fn a_well_formed_report_reads_back(
            // A blank name is no name: such a report is refused (what_is_not_a_tls_report_says_why).
            org in "[!-~][ -~]{0,39}",
            id in "[!-~]{1,40}",
            ok in any::<u32>(),
            failures in prop::collection::vec((result_type(), any::<u32>(), any::<[u8; 4]>()), 0..5),
        ) {
            let details: Vec<Value> = failures
                .iter()
                .map(|(t, n, ip)| json!({
                    "result-type": t,
                    "failed-session-count": n,
                    "sending-mta-ip": IpAddr::from(*ip).to_string(),
                }))
                .collect();
            let total: u64 = failures.iter().map(|(_, n, _)| u64::from(*n)).sum();
            let report = json!({
                "organization-name": org,
                "date-range": {"start-datetime": "2024-01-01T00:00:00Z", "end-datetime": "2024-01-01T23:59:59Z"},
                "contact-info": "tls@example.com",
                "report-id": id,
                "policies": [{
                    "policy": {"policy-type": "sts", "policy-domain": "example.com", "mx-host": ["mx.example.com"]},
                    "summary": {"total-successful-session-count": ok, "total-failure-session-count": total},
                    "failure-details": details,
                }],
            });
            let parsed = parse_tls(report.to_string().as_bytes()).unwrap();
            let r = &parsed.report;
            prop_assert_eq!(&r.organization_name, &org);
            prop_assert_eq!(&r.report_id, &id);
            let policy = &r.policies[0];
            prop_assert_eq!(policy.summary.total_successful_session_count, Some(u64::from(ok)));
            prop_assert_eq!(policy.summary.total_failure_session_count, Some(total));
            prop_assert_eq!(policy.failure_details.len(), failures.len());
            for (d, (t, n, ip)) in policy.failure_details.iter().zip(&failures) {
                prop_assert_eq!(d.result_type.as_str(), t.as_str());
                prop_assert_eq!(d.failed_session_count, Some(u64::from(*n)));
                prop_assert_eq!(d.sending_mta_ip, Some(IpAddr::from(*ip)));
            }
            // Only an unknown result type is a problem in a report that follows the schema.
            let unknown = policy.failure_details.iter().filter(|d| matches!(d.result_type, ResultType::Other(_))).count();
            prop_assert_eq!(parsed.problems.len(), unknown, "{:?}", parsed.problems);
        }

        #[test]
        fn any_json_never_panics(text in "[\\[\\]{}:,\"a-z0-9 .-]{0,200}") {
            let _ = parse_tls(text.as_bytes());
        }
    }
}
