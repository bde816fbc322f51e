//! DMARC failure reports (RFC 6591 / RFC 9991 ARF messages) of the feedback corpus: every
//! one read or refused with a reason; the ARF complaints (abuse, opt-out) never taken for a
//! failure report; mail-auth's expected results agreed with on every field both have; no
//! recipient address kept; and no cut or corrupted copy makes the reader panic.

use mailaudit::reports::{FailureReport, FeedbackType, parse_failure};
use serde_json::Value;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

fn feedback() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/conformance/feedback")
}

fn emails(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    out.sort();
    out
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

fn problems(r: &FailureReport) -> Vec<String> {
    r.problems
        .iter()
        .map(|p| format!("line {}: {}", p.line, p.message))
        .collect()
}

fn assert_problem(r: &FailureReport, text: &str) {
    let said = problems(r);
    assert!(
        said.iter().any(|p| p.contains(text)),
        "no {text:?} in {said:?}"
    );
}

#[test]
fn every_failure_report_is_read_or_refused_with_a_reason() {
    let dir = feedback().join("dmarc-failure");
    let mut read_ok = 0;
    let mut refused = 0;
    let mut wrong = Vec::new();
    for path in emails(&dir) {
        let name = file_name(&path);
        let bytes = std::fs::read(&path).unwrap();
        match parse_failure(&bytes) {
            Ok(r) => {
                read_ok += 1;
                for p in problems(&r) {
                    eprintln!("{name}: {p}");
                }
                if !r.is_auth_failure() {
                    wrong.push(format!("{name}: read as {:?}", r.feedback_type));
                }
                if r.source_ip.is_none() || r.reported_domain.is_empty() || r.original.is_none() {
                    wrong.push(format!("{name}: incomplete: {r:#?}"));
                }
            }
            // Exim's plain-text "forensic report" has no message/feedback-report part: RFC
            // 9991 failure reports are ARF (RFC 5965 §2), so it is not one.
            Err(e)
                if name == "exim_plain_text_only_no_arf_part.eml"
                    && e.message.contains("no message/feedback-report part") =>
            {
                refused += 1;
                eprintln!("{name}: refused: {e}");
            }
            Err(e) => wrong.push(format!("{name}: refused: {e}")),
        }
    }
    eprintln!("DMARC failure reports: {read_ok} read, {refused} refused with a reason");
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert_eq!((read_ok, refused), (4, 1));
}

fn sample(name: &str) -> FailureReport {
    let bytes = std::fs::read(feedback().join("dmarc-failure").join(name)).unwrap();
    parse_failure(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn the_samples_read_as_their_senders_wrote_them() {
    let linkedin = sample("dmarc_ruf_report_linkedin.eml");
    assert_eq!(linkedin.feedback_type, FeedbackType::AuthFailure);
    assert_eq!(linkedin.user_agent.as_deref(), Some("Lua/1.0"));
    assert_eq!(linkedin.version.as_deref(), Some("1.0"));
    assert_eq!(linkedin.auth_failure.as_deref(), Some("dmarc"));
    assert_eq!(linkedin.delivery_result.as_deref(), Some("delivered"));
    assert_eq!(linkedin.source_ip, Some("10.10.10.10".parse().unwrap()));
    assert_eq!(linkedin.reported_domain, ["example.com"]);
    // "Original-Mail-From:" is empty (the null reverse path): no domain.
    assert_eq!(linkedin.original_mail_from_domain, None);
    assert_eq!(linkedin.original_rcpt_to_count, 1);
    assert_eq!(linkedin.arrival_time, Some(1_556_590_140));
    assert_eq!(
        linkedin.authentication_results,
        ["dmarc=fail (p=none; dis=none) header.from=example.com"]
    );
    let original = linkedin.original.as_ref().unwrap();
    assert_eq!(original.header_from_domain.as_deref(), Some("example.com"));
    assert_eq!(
        original.message_id.as_deref(),
        Some("01010101010101010101010101010101@ABAB01MS0016.someserver.loc")
    );
    assert_eq!(
        original.subject.as_deref(),
        Some("Subject line, could be UTF8 encoded")
    );
    assert_eq!(original.date_time, Some(1_556_590_149));
    assert!(!original.headers_only);
    // LinkedIn's reporter leaves out the field that says which identifiers were aligned.
    assert_eq!(linkedin.identity_alignment, Vec::<String>::new());
    assert_eq!(
        problems(&linkedin),
        [
            "line 34: no Identity-Alignment field (a DMARC failure report has one: RFC 7489 §7.3.1, RFC 9991)"
        ]
    );

    // Netease sends the feedback fields base64-encoded, without Auth-Failure.
    let netease = sample("[Netease DMARC Failure Report] Rent Reminder.eml");
    assert_eq!(netease.user_agent.as_deref(), Some("NtesDmarcReporter/1.0"));
    assert_eq!(netease.source_ip, Some("167.89.69.24".parse().unwrap()));
    assert_eq!(netease.reported_domain, ["cardinal.com"]);
    assert_eq!(
        netease.original_mail_from_domain.as_deref(),
        Some("email.entrata.com")
    );
    assert_eq!(netease.dkim_domain.as_deref(), Some("entrata.com"));
    assert_eq!(netease.identity_alignment, ["spf", "dkim"]);
    assert_eq!(
        netease.original_envelope_id.as_deref(),
        Some("N8CowEApcUPo6q1bnXlMAA--.44392S3")
    );
    assert_eq!(
        netease
            .original
            .as_ref()
            .unwrap()
            .header_from_domain
            .as_deref(),
        Some("cardinal.com")
    );
    assert_problem(&netease, "no Auth-Failure field");

    // A Delivery-Result RFC 6591 does not define is kept, with a problem on its line.
    let domain_de = sample(
        "DMARC Failure Report for domain.de (mail-from=sharepoint@domain.de, ip=10.10.10.10).eml",
    );
    assert_eq!(
        domain_de.delivery_result.as_deref(),
        Some("smg-policy-action")
    );
    assert_eq!(
        domain_de.original_mail_from_domain.as_deref(),
        Some("domain.de")
    );
    assert_problem(
        &domain_de,
        "Delivery-Result \"smg-policy-action\" is not one of",
    );
}

#[test]
fn a_failure_report_holds_no_container_payload() {
    // The command opens every file with container::payloads first: a failure report has no
    // XML, JSON or archive attached, so it says NoReport and the message is read as ARF.
    for dir in ["dmarc-failure", "arf"] {
        for path in emails(&feedback().join(dir)) {
            let bytes = std::fs::read(&path).unwrap();
            assert_eq!(
                mailaudit::reports::payloads(&bytes),
                Err(mailaudit::reports::ContainerError::NoReport),
                "{}",
                file_name(&path)
            );
        }
    }
}

#[test]
fn the_crlf_and_lf_copies_of_a_report_read_the_same() {
    let lf = sample("dmarc_ruf_report_linkedin.eml");
    let crlf = sample("dmarc_ruf_report_linkedin.crlf.eml");
    assert_eq!(lf, crlf);
}

#[test]
fn no_recipient_address_is_kept() {
    // Every address on an Original-Rcpt-To or To line of a sample (the reported message's
    // recipients, the report's own recipient) is absent from what is kept.
    let mut checked = 0;
    let mut leaks = Vec::new();
    for dir in ["dmarc-failure", "arf"] {
        for path in emails(&feedback().join(dir)) {
            let bytes = std::fs::read(&path).unwrap();
            let Ok(report) = parse_failure(&bytes) else {
                continue;
            };
            let kept = serde_json::to_string(&report).unwrap().to_ascii_lowercase();
            let text = String::from_utf8_lossy(&bytes).to_ascii_lowercase();
            for line in text.lines() {
                let Some((field, value)) = line.split_once(':') else {
                    continue;
                };
                if !matches!(field.trim(), "original-rcpt-to" | "to") {
                    continue;
                }
                for word in value.split([' ', ',', '<', '>', '"', ';']) {
                    if word.contains('@') && word.len() > 3 {
                        checked += 1;
                        if kept.contains(word) {
                            leaks.push(format!("{}: {word}", file_name(&path)));
                        }
                    }
                }
            }
        }
    }
    eprintln!("recipient addresses looked for: {checked}");
    assert!(leaks.is_empty(), "{leaks:#?}");
    assert!(checked >= 30, "{checked}");
}

/// What each ARF sample is (RFC 5965 §3.1 Feedback-Type): complaints are never failure
/// reports; an auth-failure report is one, whatever folder it came in.
#[test]
fn arf_complaints_are_never_failure_reports() {
    let auth_failure = [
        "003.eml",
        "004.eml",
        "005.eml",
        "sisimai-arf-18.eml",
        "sisimai-arf-19.eml",
        "sisimai-arf-20.eml",
    ];
    // Forwarded complaints and an unsubscribe with no message/feedback-report part at all.
    let not_arf = [
        "sisimai-arf-22.eml",
        "sisimai-arf-23.eml",
        "sisimai-arf-24.eml",
        "sisimai-arf-26.eml",
    ];
    let (mut complaints, mut failures, mut refused) = (0, 0, 0);
    let mut wrong = Vec::new();
    for path in emails(&feedback().join("arf")) {
        let name = file_name(&path);
        let result = parse_failure(&std::fs::read(&path).unwrap());
        match result {
            Ok(r) if auth_failure.contains(&name.as_str()) => {
                failures += 1;
                if !r.is_auth_failure() {
                    wrong.push(format!("{name}: read as {:?}", r.feedback_type));
                }
            }
            Ok(r) => {
                complaints += 1;
                eprintln!(
                    "{name}: a {} report, not a failure report",
                    r.feedback_type.as_str()
                );
                let expected = if name == "sisimai-arf-12.eml" {
                    FeedbackType::Unregistered("opt-out".into())
                } else {
                    FeedbackType::Abuse
                };
                if r.is_auth_failure() || r.feedback_type != expected {
                    wrong.push(format!("{name}: read as {:?}", r.feedback_type));
                }
            }
            Err(e)
                if not_arf.contains(&name.as_str())
                    && e.message.contains("no message/feedback-report part") =>
            {
                refused += 1;
            }
            Err(e) => wrong.push(format!("{name}: refused: {e}")),
        }
    }
    eprintln!(
        "ARF samples: {complaints} complaints, {failures} failure reports, {refused} not ARF"
    );
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert_eq!((complaints, failures, refused), (12, 6, 4));
}

/// mail-auth's enum names (`AuthFailure`, `BodyHash`, `Unspecified`) and our values compared
/// without case or hyphens; `Unspecified` is absent.
fn their_name(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) if s == "Unspecified" => None,
        Value::String(s) => Some(s.replace('-', "").to_ascii_lowercase()),
        Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn the_mail_auth_arf_samples_agree_with_their_expected_json() {
    let dir = feedback().join("arf");
    let mut compared = 0;
    let mut samples = 0;
    let mut disagree = Vec::new();
    for n in ["001", "002", "003", "004", "005"] {
        let r = parse_failure(&std::fs::read(dir.join(format!("{n}.eml"))).unwrap()).unwrap();
        let want: Value =
            serde_json::from_slice(&std::fs::read(dir.join(format!("{n}.json"))).unwrap()).unwrap();
        samples += 1;
        let mut check = |field: &str, ours: Option<String>, theirs: Option<String>| {
            compared += 1;
            let norm = |s: Option<String>| s.map(|s| s.replace('-', "").to_ascii_lowercase());
            if norm(ours.clone()) != norm(theirs.clone()) {
                disagree.push(format!("{n} {field}: ours {ours:?}, theirs {theirs:?}"));
            }
        };
        check(
            "feedback_type",
            Some(r.feedback_type.as_str().to_string()),
            their_name(&want["feedback_type"]),
        );
        check(
            "arrival_date",
            r.arrival_time.map(|t| t.to_string()),
            their_name(&want["arrival_date"]),
        );
        check(
            "authentication_results",
            Some(collapse(&r.authentication_results.join(" | "))),
            Some(collapse(
                &want["authentication_results"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join(" | "),
            )),
        );
        // mail-auth writes 1 for an absent Incidents field; we keep it absent. Compared only
        // where the report has the field.
        if r.incidents.is_some() {
            check(
                "incidents",
                r.incidents.map(|i| i.to_string()),
                their_name(&want["incidents"]),
            );
        }
        let domain = |v: &Value| {
            v.as_str().and_then(|s| {
                s.trim_matches(['<', '>'])
                    .rsplit_once('@')
                    .map(|(_, d)| d.to_ascii_lowercase())
            })
        };
        check(
            "original_mail_from (domain)",
            r.original_mail_from_domain.clone(),
            domain(&want["original_mail_from"]),
        );
        // mail-auth keeps one Original-Rcpt-To address; we keep only how many there were.
        check(
            "original_rcpt_to (present)",
            Some((r.original_rcpt_to_count > 0).to_string()),
            Some((!want["original_rcpt_to"].is_null()).to_string()),
        );
        check(
            "reported_domain",
            Some(r.reported_domain.join(",")),
            Some(
                want["reported_domain"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_ascii_lowercase())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
        );
        check(
            "source_ip",
            r.source_ip.map(|ip| ip.to_string()),
            want["source_ip"]
                .as_str()
                .map(|s| s.parse::<IpAddr>().unwrap().to_string()),
        );
        for (field, ours) in [
            ("reporting_mta", &r.reporting_mta),
            ("original_envelope_id", &r.original_envelope_id),
            ("user_agent", &r.user_agent),
            ("version", &r.version),
            ("auth_failure", &r.auth_failure),
            ("delivery_result", &r.delivery_result),
            ("dkim_domain", &r.dkim_domain),
            ("dkim_identity", &r.dkim_identity),
            ("dkim_selector", &r.dkim_selector),
            ("spf_dns", &r.spf_dns),
        ] {
            check(field, ours.clone(), their_name(&want[field]));
        }
        check(
            "identity_alignment",
            Some(r.identity_alignment.join("")).filter(|s| !s.is_empty()),
            their_name(&want["identity_alignment"]),
        );
    }
    eprintln!(
        "mail-auth ARF samples: {samples}, {compared} fields compared, {} disagree",
        disagree.len()
    );
    assert!(disagree.is_empty(), "{disagree:#?}");
    assert_eq!(compared, 90);
}

#[test]
fn a_report_cut_anywhere_or_corrupted_never_panics() {
    // Every prefix and every flipped byte of every failure report: a report or an error,
    // never a panic.
    let mut cut_errors = 0;
    let mut cuts = 0;
    for path in emails(&feedback().join("dmarc-failure")) {
        let bytes = std::fs::read(&path).unwrap();
        for end in 0..bytes.len() {
            cuts += 1;
            if parse_failure(&bytes[..end]).is_err() {
                cut_errors += 1;
            }
        }
        for i in 0..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[i] ^= 0xff;
            let _ = parse_failure(&flipped);
        }
    }
    // A cut before the feedback part leaves no report.
    assert!(cut_errors > cuts / 4, "{cut_errors} of {cuts}");
}

/// mail-parser 0.11.9 panics (an overflow check) on a quoted-printable part that is only
/// `=`: the report is refused with a reason instead, and the same message read as feedback
/// is said to be unreadable.
#[test]
fn a_part_mail_parser_panics_on_is_a_refusal_not_a_crash() {
    let message = b"Content-Type: multipart/report; boundary=z\r\n\r\n--z\r\nContent-Type: message/feedback-report\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=\r\n--z--\r\n";
    match parse_failure(message) {
        Ok(report) => assert!(!report.is_auth_failure()),
        Err(error) => assert!(!error.message.is_empty()),
    }
    match mailaudit::feedback::read::read_message(message) {
        Ok(reading) => assert_ne!(
            reading.kind,
            mailaudit::feedback::facts::FeedbackKind::Bounce
        ),
        Err(error) => assert!(!error.to_string().is_empty()),
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn field_text() -> impl Strategy<Value = String> {
        // Printable ASCII and blanks: what a field value can hold without encoding.
        "[ -~]{0,60}"
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

        #[test]
        fn fields_read_back_and_recipients_are_only_counted(
            domains in prop::collection::vec("[a-zA-Z0-9.-]{1,30}", 0..4),
            recipients in prop::collection::vec("[a-z]{1,10}@[a-z]{1,10}\\.example", 0..5),
            results in prop::collection::vec((field_text(), field_text()), 0..3),
            agent in "[!-~]{1,30}",
            crlf in any::<bool>(),
        ) {
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut fields = format!("Feedback-Type: auth-failure{eol}User-Agent: {agent}{eol}Version: 1{eol}");
            for d in &domains {
                fields += &format!("reported-DOMAIN: {d}{eol}");
            }
            for r in &recipients {
                fields += &format!("Original-Rcpt-To: <{r}>{eol}");
            }
            // Each Authentication-Results folded once: the line break goes, the blank stays.
            for (head, tail) in &results {
                fields += &format!("Authentication-Results: x{head}{eol}\tx{tail}{eol}");
            }
            // The boundary is one no generated value can hold (RFC 2046 §5.1.1): with `z`, a
            // domain such as `--z` ended the part early.
            let message = format!(
                "From: a@b.example{eol}Content-Type: multipart/report; report-type=feedback-report; boundary=\"=_arf_=\"{eol}{eol}--=_arf_={eol}Content-Type: message/feedback-report{eol}{eol}{fields}{eol}--=_arf_=--{eol}"
            );
            let r = parse_failure(message.as_bytes()).unwrap();
            prop_assert!(r.is_auth_failure());
            prop_assert_eq!(r.user_agent.as_deref(), Some(agent.as_str()));
            let want: Vec<String> = domains.iter().map(|d| d.to_ascii_lowercase()).collect();
            prop_assert_eq!(&r.reported_domain, &want);
            prop_assert_eq!(r.original_rcpt_to_count, recipients.len());
            let want: Vec<String> = results
                .iter()
                .map(|(head, tail)| format!("x{head}\tx{tail}").trim().to_string())
                .collect();
            prop_assert_eq!(&r.authentication_results, &want);
            let kept = serde_json::to_string(&r).unwrap();
            for rcpt in &recipients {
                prop_assert!(!kept.contains(rcpt.as_str()), "{} kept in {}", rcpt, kept);
            }
        }

        #[test]
        fn any_bytes_in_a_feedback_part_never_panic(
            body in prop::collection::vec(any::<u8>(), 0..400),
            encoding in prop::sample::select(vec!["7bit", "base64", "quoted-printable"]),
        ) {
            let mut message = format!(
                "Content-Type: multipart/report; boundary=z\r\n\r\n--z\r\nContent-Type: message/feedback-report\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n"
            )
            .into_bytes();
            message.extend_from_slice(&body);
            message.extend_from_slice(b"\r\n--z--\r\n");
            let _ = parse_failure(&message);
        }
    }
}
