//! Every DMARC aggregate report of the feedback corpus (parsedmarc's samples, stalwart
//! mail-auth's with their expected parse results) is read or refused with a reason, and the
//! mail-auth samples agree with their expected JSON on every field both have.

use mailaudit::reports::{ParsedAggregate, parse_aggregate, payloads};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/conformance/feedback/dmarc-aggregate")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else if path.extension().is_none_or(|e| e != "json") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Every report in a file, or why the file holds none.
fn read(path: &Path) -> Result<Vec<ParsedAggregate>, String> {
    let bytes = std::fs::read(path).unwrap();
    let parts = payloads(&bytes).map_err(|e| e.to_string())?;
    parts
        .iter()
        .map(|p| {
            parse_aggregate(&p.bytes).map_err(|e| {
                format!(
                    "{}{e}",
                    if p.part.is_empty() {
                        String::new()
                    } else {
                        format!("{}: ", p.part)
                    }
                )
            })
        })
        .collect()
}

#[test]
fn every_report_is_read_or_refused_with_a_reason() {
    // The files parsedmarc itself refuses, and why we do.
    let refused: &[(&str, &str)] = &[
        ("invalid/empty.xml", "no XML element"),
        // <email><bad-xml@bad-xml.net></email>: an element named "bad-xml@bad-xml.net",
        // closed by </email>: not well-formed XML (XML 1.0 §3, element type match).
        ("invalid_xml.xml", "line 5: not well-formed XML"),
    ];
    // Files read despite a fault, and the problem each must carry.
    let flawed: &[(&str, &str)] = &[
        (
            "!example.com!1538204542!1538463818.xml",
            "empty <org_name>: named after its <email> domain, accurateplastics.com",
        ),
        (
            "ikea.com!example.de!1538690400!1538776800.xml",
            "the document element is <schema>, not <feedback>",
        ),
        ("invalid_utf_8.xml", "line 31: text that is not UTF-8"),
    ];
    let mut read_ok = 0;
    let mut records = 0;
    let mut problems = 0;
    let mut wrong = Vec::new();
    for path in files(&corpus()) {
        let name = path
            .strip_prefix(corpus())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let expected_refusal = refused
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, why)| *why);
        match (read(&path), expected_refusal) {
            (Ok(reports), None) => {
                read_ok += 1;
                if let Some((_, want)) = flawed.iter().find(|(n, _)| *n == name) {
                    let said: Vec<String> = reports
                        .iter()
                        .flat_map(|r| &r.problems)
                        .map(|p| format!("line {}: {}", p.line, p.message))
                        .collect();
                    if !said.iter().any(|p| p.contains(want)) {
                        wrong.push(format!("{name}: no problem {want:?} in {said:?}"));
                    }
                }
                for r in &reports {
                    records += r.report.records.len();
                    problems += r.problems.len();
                    if r.report.records.is_empty() {
                        wrong.push(format!("{name}: read, but no record"));
                    }
                    for p in &r.problems {
                        eprintln!("{name}: line {}: {}", p.line, p.message);
                    }
                }
                if reports.is_empty() {
                    wrong.push(format!("{name}: no report in it"));
                }
            }
            (Err(why), Some(want)) if why.contains(want) => {
                eprintln!("{name}: refused: {why}");
            }
            (Err(why), _) => wrong.push(format!("{name}: refused: {why}")),
            (Ok(_), Some(want)) => {
                wrong.push(format!("{name}: read, but should be refused ({want})"))
            }
        }
    }
    eprintln!(
        "aggregate reports: {read_ok} files read ({records} records, {problems} problems), {} refused with a reason",
        refused.len()
    );
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(read_ok >= 25, "{read_ok}");
}

/// A mail-auth enum name (`Pass`, `Quarantine`, `Unspecified`) or value, as we write it:
/// lower-case, `Unspecified` and empty meaning absent.
fn theirs(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) if s.is_empty() || s == "Unspecified" => None,
        // mail-auth names the SPF scope MailFrom; the schema's value is mfrom.
        Value::String(s) if s == "MailFrom" => Some("mfrom".to_string()),
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "y" } else { "n" }.to_string()),
        other => Some(other.to_string()),
    }
}

#[test]
fn the_mail_auth_samples_agree_with_their_expected_json() {
    let dir = corpus().join("mail-auth");
    let mut compared = 0;
    let mut disagree = Vec::new();
    let mut samples = 0;
    for path in files(&dir) {
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(path.with_extension("json")).unwrap())
                .unwrap();
        let reports = read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(reports.len(), 1, "{}", path.display());
        samples += 1;
        let r = &reports[0].report;
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let mut check = |field: &str, ours: Option<String>, want: &Value| {
            compared += 1;
            // Enum names differ in case only (Pass / pass); other values must match exactly.
            let same = match (&ours, theirs(want)) {
                (Some(a), Some(b)) => {
                    a == &b || (a.eq_ignore_ascii_case(&b) && !field.ends_with("name"))
                }
                (a, b) => *a == b,
            };
            if !same {
                disagree.push(format!("{name} {field}: ours {ours:?}, theirs {want}"));
            }
        };
        let meta = &expected["report_metadata"];
        check(
            "org_name",
            Some(r.org_name.clone()).filter(|s| !s.is_empty()),
            &meta["org_name"],
        );
        check("email", r.org_email.clone(), &meta["email"]);
        check("report_id", Some(r.report_id.clone()), &meta["report_id"]);
        check(
            "begin",
            Some(r.begin_date.to_string()),
            &meta["date_range"]["begin"],
        );
        check(
            "end",
            Some(r.end_date.to_string()),
            &meta["date_range"]["end"],
        );
        let policy = &expected["policy_published"];
        let pp = &r.published_policy;
        check("domain", Some(pp.domain.clone()), &policy["domain"]);
        for (field, ours) in [
            ("p", &pp.p),
            ("sp", &pp.sp),
            ("adkim", &pp.adkim),
            ("aspf", &pp.aspf),
        ] {
            // mail-auth writes adkim/aspf as Relaxed/Strict; the XML says r/s.
            let ours = ours.clone().map(|v| match v.as_str() {
                "r" => "relaxed".to_string(),
                "s" => "strict".to_string(),
                _ => v,
            });
            check(field, ours, &policy[field]);
        }
        let want_records = expected["record"].as_array().unwrap();
        check(
            "records",
            Some(r.records.len().to_string()),
            &Value::from(want_records.len()),
        );
        for (i, (ours, want)) in r.records.iter().zip(want_records).enumerate() {
            let f = |s: &str| format!("record[{i}].{s}");
            let row = &want["row"];
            check(
                &f("source_ip"),
                ours.source_ip_address.map(|ip| ip.to_string()),
                &row["source_ip"],
            );
            check(
                &f("count"),
                Some(ours.message_count.to_string()),
                &row["count"],
            );
            let pe = &row["policy_evaluated"];
            check(
                &f("disposition"),
                ours.disposition.clone(),
                &pe["disposition"],
            );
            check(&f("dkim"), ours.dkim.clone(), &pe["dkim"]);
            check(&f("spf"), ours.spf.clone(), &pe["spf"]);
            let ids = &want["identifiers"];
            check(
                &f("header_from"),
                ours.header_from.clone(),
                &ids["header_from"],
            );
            check(
                &f("envelope_from"),
                ours.envelope_from.clone(),
                &ids["envelope_from"],
            );
            let auth = &want["auth_results"];
            let dkim = auth["dkim"].as_array().cloned().unwrap_or_default();
            check(
                &f("dkim_results"),
                Some(ours.dkim_results.len().to_string()),
                &Value::from(dkim.len()),
            );
            for (j, (o, w)) in ours.dkim_results.iter().zip(&dkim).enumerate() {
                check(
                    &f(&format!("dkim[{j}].domain")),
                    o.domain.clone(),
                    &w["domain"],
                );
                check(
                    &f(&format!("dkim[{j}].selector")),
                    o.selector.clone().map(|s| s.to_ascii_lowercase()),
                    &w["selector"],
                );
                check(
                    &f(&format!("dkim[{j}].result")),
                    o.result.clone(),
                    &w["result"],
                );
            }
            let spf = auth["spf"].as_array().cloned().unwrap_or_default();
            check(
                &f("spf_results"),
                Some(ours.spf_results.len().to_string()),
                &Value::from(spf.len()),
            );
            for (j, (o, w)) in ours.spf_results.iter().zip(&spf).enumerate() {
                check(
                    &f(&format!("spf[{j}].domain")),
                    o.domain.clone(),
                    &w["domain"],
                );
                check(&f(&format!("spf[{j}].scope")), o.scope.clone(), &w["scope"]);
                check(
                    &f(&format!("spf[{j}].result")),
                    o.result.clone(),
                    &w["result"],
                );
            }
        }
    }
    eprintln!(
        "mail-auth aggregate samples: {samples}, {compared} fields compared, {} disagree",
        disagree.len()
    );
    assert!(disagree.is_empty(), "{disagree:#?}");
    assert!(samples >= 10);
}

#[test]
fn a_report_cut_anywhere_or_corrupted_never_panics() {
    // Every prefix of a real report, and every byte of it flipped: an error or a report,
    // never a panic (the reader sees what a truncated download or a bad disk gives).
    let path = corpus().join("rfc9990-example.net!example.com!1700000000!1700086399.xml");
    let bytes = std::fs::read(path).unwrap();
    let mut errors = 0;
    for end in 0..bytes.len() {
        if parse_aggregate(&bytes[..end]).is_err() {
            errors += 1;
        }
    }
    // Only a cut after the closing </feedback> leaves a whole report.
    assert!(errors > bytes.len() * 9 / 10, "{errors} of {}", bytes.len());
    for i in 0..bytes.len() {
        let mut flipped = bytes.clone();
        flipped[i] ^= 0xff;
        let _ = parse_aggregate(&flipped);
        let _ = payloads(&flipped);
    }
}
