//! `mailaudit reports` end to end: attribution of sources to the domain's own SPF tree (an
//! include two levels down is the top-level include), the source classes, readiness, the
//! rows in JSON, JSONL and CSV, duplicates counted once, mbox and Maildir, a bomb or a broken
//! file among good ones, and DNS asked once per distinct name through a real server.

use crate::support::{self, results};

use mailaudit::dns::{Resolver, ZoneSet};
use mailaudit::reports::facts::SourceClass;
use mailaudit::reports::{Attributor, ReportsOptions, ReportsResult, audit_reports};
use mailaudit::rules::Rules;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

const ATTRIBUTION: &str =
    "fixtures/reports/attribution/google.com!example.com!1714521600!1714607999.xml";
const READY: &str = "fixtures/reports/ready/google.com!ready.example!1714521600!1714607999.xml";
const ZONES: &str = "fixtures/zones/reports";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn mailaudit(args: &[&str], cwd: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mailaudit"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let (code, stdout, stderr) = mailaudit(&all, root());
    assert!(code == 0 || code == 1, "{args:?}: exit {code}: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {stdout}"))
}

fn domain<'a>(report: &'a Value, name: &str) -> &'a Value {
    results(report, "report-domain")
        .into_iter()
        .find(|r| r["target"] == name)
        .unwrap_or_else(|| panic!("no report-domain {name}"))
}

fn rules_of(result: &Value) -> Vec<&str> {
    result["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect()
}

fn row_of<'a>(report: &'a Value, ip: &str) -> Vec<&'a Value> {
    results(report, "report")
        .into_iter()
        .flat_map(|r| r["facts"]["records"].as_array().unwrap())
        .filter(|row| row["source_ip_address"] == ip)
        .collect()
}

#[test]
fn an_ip_two_includes_down_is_attributed_to_the_top_level_include() {
    let report = json(&["reports", ATTRIBUTION, "--zone", ZONES]);
    let mailer = row_of(&report, "203.0.113.5");
    assert_eq!(mailer.len(), 1);
    // _spf.mailer.example includes _netblocks.mailer.example, which holds 203.0.113.0/26: the
    // term of example.com's own record is the include it wrote.
    assert_eq!(
        mailer[0]["source_authorised_by"],
        "include:_spf.mailer.example"
    );
    assert_eq!(mailer[0]["source_class"], "compliant");
    assert_eq!(mailer[0]["source_reverse_dns"], "mx.mailer.example");
    assert_eq!(mailer[0]["source_base_domain"], "mailer.example");
    // Every required row field is there, with parsedmarc's names.
    for key in [
        "file",
        "report_id",
        "org_name",
        "header_from",
        "source_ip_address",
        "message_count",
        "spf_aligned",
        "dkim_aligned",
        "passed_dmarc",
        "disposition",
        "source_authorised_by",
        "source_class",
    ] {
        assert!(mailer[0].get(key).is_some(), "row has no {key}");
    }
    assert_eq!(mailer[0]["org_name"], "google.com");
    assert_eq!(mailer[0]["report_id"], "7004123112903374231");
    assert_eq!(mailer[0]["published_policy"]["p"], "none");

    let own = row_of(&report, "192.0.2.10");
    assert!(
        own.iter()
            .all(|r| r["source_authorised_by"] == "ip4:192.0.2.10")
    );
    let crm = &row_of(&report, "192.0.2.77")[0];
    assert_eq!(crm["source_authorised_by"], "include:_spf.crm.example");
    assert_eq!(crm["source_class"], "non-compliant");
    let stranger = &row_of(&report, "198.51.100.66")[0];
    assert_eq!(stranger["source_authorised_by"], Value::Null);
    assert_eq!(stranger["source_class"], "unknown");
    let forwarder = &row_of(&report, "198.51.100.200")[0];
    assert_eq!(forwarder["source_class"], "forwarded");
    assert_eq!(forwarder["passed_dmarc"], true);
}

#[test]
fn an_ip_authorised_by_nothing_is_an_unauthorised_source() {
    let report = json(&["reports", ATTRIBUTION, "--zone", ZONES]);
    let example = domain(&report, "example.com");
    let rules = rules_of(example);
    assert!(rules.contains(&"reports/unauthorised-source"), "{rules:?}");
    let finding = example["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "reports/unauthorised-source")
        .unwrap();
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("198.51.100.66 (40 messages)")
    );
    // The finding points at the stranger's record in the report.
    assert_eq!(finding["location"]["file"], ATTRIBUTION);
    assert!(finding["location"]["line"].as_u64().unwrap() > 1);
    // The CRM is authorised and fails: an error that names the include.
    assert!(rules.contains(&"reports/authorised-source-failing"));
    assert!(rules.contains(&"reports/enforcement-blocked"));
    assert_eq!(example["result"], "blocked");
    let classes = &example["facts"]["classes"];
    assert_eq!(classes["compliant"], 1220);
    assert_eq!(classes["non-compliant"], 250);
    assert_eq!(classes["forwarded"], 30);
    assert_eq!(classes["unknown"], 40);
    let readiness = &example["facts"]["readiness"];
    assert_eq!(readiness["legitimate_messages"], 1500);
    assert_eq!(readiness["legitimate_passed"], 1250);
    assert_eq!(readiness["next"], "quarantine");
    assert_eq!(readiness["hurt"][0]["source_ip_address"], "192.0.2.77");
    assert_eq!(readiness["hurt"][0]["failed_dmarc"], 250);
    // Nothing failing in the ready domain: ready, and no source finding.
    let ready = json(&["reports", READY, "--zone", ZONES]);
    let ready = domain(&ready, "ready.example");
    assert_eq!(ready["result"], "ready");
    assert_eq!(rules_of(ready), ["reports/enforcement-ready"]);
}

/// The ready domain's report with its mail sent as `header_from` and `np=reject` published.
fn subdomain_report(dir: &Path, header_from: &str) -> PathBuf {
    let xml = std::fs::read_to_string(root().join(READY))
        .unwrap()
        .replace(
            "<header_from>ready.example</header_from>",
            &format!("<header_from>{header_from}</header_from>"),
        )
        .replace("<sp>none</sp>", "<sp>none</sp>\n    <np>reject</np>");
    let path = dir.join(format!("{header_from}.xml"));
    std::fs::write(&path, xml).unwrap();
    path
}

#[test]
fn a_subdomain_that_does_not_exist_is_judged_by_np_one_that_exists_by_sp() {
    let dir = tempfile::tempdir().unwrap();
    let zones = root().join(ZONES);
    let zones = zones.to_str().unwrap();
    let gone = subdomain_report(dir.path(), "gone.ready.example");
    let report = json(&["reports", gone.to_str().unwrap(), "--zone", zones]);
    let readiness = &domain(&report, "gone.ready.example")["facts"]["readiness"];
    assert_eq!(readiness["tag"], "np", "{readiness}");
    assert_eq!(readiness["policy"], "reject");
    assert_eq!(readiness["verdict"], "enforced");

    let news = subdomain_report(dir.path(), "news.ready.example");
    let report = json(&["reports", news.to_str().unwrap(), "--zone", zones]);
    let readiness = &domain(&report, "news.ready.example")["facts"]["readiness"];
    assert_eq!(readiness["tag"], "sp", "{readiness}");
    assert_eq!(readiness["policy"], "none");
    assert_eq!(readiness["next"], "quarantine");

    // Without DNS nothing says the subdomain is missing: sp, and the verdict unknown.
    let report = json(&["reports", gone.to_str().unwrap()]);
    let readiness = &domain(&report, "gone.ready.example")["facts"]["readiness"];
    assert_eq!(readiness["tag"], "sp");
    assert_eq!(readiness["verdict"], "unknown");
}

/// The domain results of one report file attributed offline from the report zones, every
/// query for `timeout` timing out.
fn domains_with_a_timeout(
    file: PathBuf,
    timeout: &str,
) -> Vec<mailaudit::reports::audit::DomainResult> {
    let mut zones = ZoneSet::load_files(
        &mailaudit::app::context::expand_zone_paths(&[root().join(ZONES)]).unwrap(),
    )
    .unwrap();
    zones.insert_timeout(timeout);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let attributor = Attributor {
        resolver: Resolver::offline(zones),
        runtime: runtime.handle().clone(),
        concurrency: 4,
    };
    let rules = Rules::builtin().unwrap();
    let mut domains = Vec::new();
    audit_reports::<()>(
        &[file],
        &rules,
        &ReportsOptions::default(),
        Some(&attributor),
        |done| {
            if let ReportsResult::Domain(domain) = done {
                domains.push(*domain);
            }
            Ok(())
        },
    )
    .unwrap();
    domains
}

#[test]
fn a_subdomain_whose_existence_could_not_be_learned_leaves_the_readiness_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let gone = subdomain_report(dir.path(), "gone.ready.example");
    let domains = domains_with_a_timeout(gone, "gone.ready.example");
    let readiness = &domains[0].facts.readiness;
    // Neither np (it may not exist) nor an "enforced" verdict is concluded from a timeout.
    assert_eq!(
        readiness.verdict,
        mailaudit::reports::facts::ReadinessVerdict::Unknown,
        "{readiness:?}"
    );
    assert_ne!(readiness.tag, "np", "{readiness:?}");
    // The timeout also leaves the sources unattributed; either says why it is unknown.
    assert!(readiness.reason.is_some(), "{readiness:?}");
    assert!(
        domains[0]
            .findings
            .iter()
            .any(|f| f.rule.as_str() == "dns/inconclusive"),
        "{:?}",
        domains[0].findings
    );
}

#[test]
fn a_passing_aligned_signature_next_to_a_failing_one_is_dkim_aligned() {
    let report = json(&["reports", ATTRIBUTION]);
    let rows = row_of(&report, "192.0.2.10");
    let mixed = rows
        .iter()
        .find(|r| r["message_count"] == 20)
        .expect("the ed25519 + RSA row");
    // The reporter wrote dkim=fail, but the RSA signature of example.com passed.
    assert_eq!(mixed["dkim"], "fail");
    assert_eq!(mixed["dkim_aligned"], true);
    assert_eq!(mixed["passed_dmarc"], true);
}

#[test]
fn without_dns_nothing_is_attributed_and_readiness_is_unknown() {
    let report = json(&["reports", ATTRIBUTION]);
    assert_eq!(report["mode"]["dns"], "none");
    assert_eq!(report["mode"]["attribution"], false);
    for row in results(&report, "report")
        .iter()
        .flat_map(|r| r["facts"]["records"].as_array().unwrap())
    {
        assert_eq!(row["source_authorised_by"], Value::Null);
        assert_eq!(row["source_class"], Value::Null);
    }
    let example = domain(&report, "example.com");
    assert_eq!(example["result"], "unknown");
    // Unknown is never a verdict: no readiness and no source finding without attribution.
    assert!(rules_of(example).is_empty(), "{:?}", rules_of(example));
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A report mail as reporters send them: the report gzipped, base64, attached.
fn report_mail(xml: &[u8], name: &str) -> String {
    use base64::Engine;
    let body = base64::engine::general_purpose::STANDARD.encode(gzip(xml));
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "From: noreply-dmarc-support@google.com\nTo: dmarc@example.com\n\
         Subject: Report domain: example.com Submitter: google.com\nMIME-Version: 1.0\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain\n\n\
         A report.\n--b1\nContent-Type: application/gzip; name=\"{name}.xml.gz\"\n\
         Content-Transfer-Encoding: base64\n\
         Content-Disposition: attachment; filename=\"{name}.xml.gz\"\n\n{}\n--b1--\n",
        lines.join("\n")
    )
}

#[test]
fn duplicates_count_once_and_mbox_maildir_bombs_and_broken_files_are_read_or_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let xml = std::fs::read(root().join(ATTRIBUTION)).unwrap();
    let ready = std::fs::read(root().join(READY)).unwrap();
    // The same report twice: bare, and gzipped in a Maildir.
    std::fs::write(d.join("a.xml"), &xml).unwrap();
    std::fs::create_dir_all(d.join("Maildir/cur")).unwrap();
    std::fs::create_dir_all(d.join("Maildir/new")).unwrap();
    std::fs::write(
        d.join("Maildir/cur/1714608000.M1.host:2,S"),
        report_mail(&xml, "dup"),
    )
    .unwrap();
    // An mbox of two report mails: the ready report, and the example.com one again.
    let mbox = format!(
        "From MAILER-DAEMON Thu May  2 00:00:00 2024\n{}\nFrom MAILER-DAEMON Thu May  2 00:00:01 2024\n{}",
        report_mail(&ready, "ready"),
        report_mail(&xml, "again")
    );
    std::fs::write(d.join("reports.mbox"), mbox).unwrap();
    // A gzip bomb: 300 MiB of zeros in a few hundred kilobytes.
    let mut bomb = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..300 {
        bomb.write_all(&zeros).unwrap();
    }
    std::fs::write(d.join("bomb.xml.gz"), bomb.finish().unwrap()).unwrap();
    std::fs::write(d.join("broken.xml"), &xml[..xml.len() / 2]).unwrap();

    let zones = root().join(ZONES);
    let (code, stdout, stderr) = mailaudit(
        &[
            "reports",
            ".",
            "--zone",
            zones.to_str().unwrap(),
            "--format",
            "json",
        ],
        d,
    );
    assert_eq!(code, 1, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let reports = results(&report, "report");
    let read: Vec<&&Value> = reports
        .iter()
        .filter(|r| r["facts"]["org_name"] == "google.com")
        .collect();
    // a.xml, the Maildir copy, and the mbox's two: four copies of two reports.
    assert_eq!(
        read.len(),
        4,
        "{:#?}",
        reports.iter().map(|r| &r["target"]).collect::<Vec<_>>()
    );
    let duplicates: Vec<&str> = read
        .iter()
        .filter_map(|r| r["facts"]["duplicate_of"].as_str())
        .collect();
    // Files are read in name order: the Maildir copy first (upper case sorts first).
    let first = "Maildir/cur/1714608000.M1.host:2,S";
    assert_eq!(
        duplicates,
        [first, first],
        "two later copies point at the first"
    );
    assert!(
        read.iter().any(|r| r["target"]
            .as_str()
            .unwrap()
            .starts_with("reports.mbox > message 2")),
        "mbox messages are parts of the file"
    );
    // The domain counts the report once.
    let example = domain(&report, "example.com");
    assert_eq!(example["facts"]["reports"], 1);
    assert_eq!(example["facts"]["message_count"], 1540);
    assert_eq!(
        domain(&report, "ready.example")["facts"]["message_count"],
        1000
    );
    // The bomb and the broken file are findings on themselves; the rest was read.
    let refused = |name: &str| {
        let result = reports
            .iter()
            .find(|r| r["target"] == name)
            .unwrap_or_else(|| panic!("no result for {name}"));
        let findings = result["findings"].as_array().unwrap();
        assert_eq!(findings.len(), 1, "{name}: {findings:?}");
        assert_eq!(findings[0]["rule"], "reports/invalid-report");
        findings[0]["message"].as_str().unwrap().to_string()
    };
    assert!(refused("bomb.xml.gz").contains("refused (a compression bomb"));
    assert!(refused("broken.xml").contains("not a readable DMARC aggregate report: line"));
}

#[test]
fn jsonl_rows_and_csv_rows_carry_parsedmarc_names() {
    let both = |format: &str| {
        let args = [
            "reports",
            ATTRIBUTION,
            READY,
            "--zone",
            ZONES,
            "--format",
            format,
        ];
        let (code, stdout, stderr) = mailaudit(&args, root());
        assert_eq!(code, 1, "{stderr}");
        stdout
    };
    let stdout = both("jsonl");
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let rows: Vec<&Value> = lines.iter().filter(|l| l["kind"] == "record").collect();
    assert_eq!(rows.len(), 7);
    // Each report's rows come just before its result line, which counts them.
    let first_report = lines.iter().position(|l| l["kind"] == "report").unwrap();
    assert_eq!(first_report, 6);
    assert_eq!(lines[first_report]["facts"]["record_count"], 6);
    assert!(lines[first_report]["facts"].get("records").is_none());
    assert_eq!(lines.last().unwrap()["kind"], "summary");

    let csv = both("csv");
    let mut lines = csv.split("\r\n").filter(|l| !l.is_empty());
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    for column in [
        "org_name",
        "report_id",
        "begin_date",
        "end_date",
        "published_policy.domain",
        "published_policy.p",
        "source_ip_address",
        "source_authorised_by",
        "source_class",
        "message_count",
        "spf_aligned",
        "dkim_aligned",
        "passed_dmarc",
        "disposition",
        "header_from",
        "dkim_domains",
        "dkim_selectors",
        "dkim_results",
        "spf_domains",
        "spf_scopes",
        "spf_results",
    ] {
        assert!(
            header.contains(&column),
            "no CSV column {column}: {header:?}"
        );
    }
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 7);
    // The mixed-signature row: two DKIM results, quoted as one RFC 4180 field.
    let column = |name: &str| header.iter().position(|c| *c == name).unwrap();
    let mixed = rows
        .iter()
        .find(|r| r.contains("\"example.com,example.com\""))
        .expect("a row with two DKIM domains, quoted");
    assert!(mixed.contains("\"ed,s1\"") && mixed.contains("\"fail,pass\""));
    assert!(column("dkim_domains") < column("spf_domains"));
    // csv is only for reports.
    let (code, _, stderr) = mailaudit(
        &[
            "sender",
            "fixtures/stats/complaint-spike.csv",
            "--format",
            "csv",
        ],
        root(),
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains("only `mailaudit reports` and `mailaudit feedback` take it"),
        "{stderr}"
    );
}

/// A report of `records` records from three sources of example.com.
fn many_records(records: usize) -> String {
    let xml = std::fs::read_to_string(root().join(ATTRIBUTION)).unwrap();
    let start = xml.find("  <record>").unwrap();
    let end = xml.rfind("</feedback>").unwrap();
    let one: Vec<&str> = xml[start..end].split_inclusive("  </record>\n").collect();
    let mut body = String::new();
    for i in 0..records {
        body.push_str(one[i % 3]);
    }
    format!("{}{body}{}", &xml[..start], &xml[end..])
}

#[test]
fn attribution_asks_each_name_once_however_many_records_name_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("many.xml");
    std::fs::write(&file, many_records(600)).unwrap();
    let zone_files: Vec<PathBuf> =
        mailaudit::app::context::expand_zone_paths(&[root().join(ZONES)]).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let refs: Vec<&Path> = zone_files.iter().map(PathBuf::as_path).collect();
    let server = runtime.block_on(support::dns_server::start(&refs));
    let resolver = {
        let _guard = runtime.enter();
        Resolver::live(server.live_config()).unwrap()
    };
    let attributor = Attributor {
        resolver,
        runtime: runtime.handle().clone(),
        concurrency: 16,
    };
    let rules = Rules::builtin().unwrap();
    let mut classes = Vec::new();
    audit_reports::<()>(
        &[file],
        &rules,
        &ReportsOptions::default(),
        Some(&attributor),
        |done| {
            if let ReportsResult::Report(report) = done {
                classes.extend(report.facts.records.iter().map(|r| r.source_class));
            }
            Ok(())
        },
    )
    .unwrap();
    assert_eq!(classes.len(), 600);
    assert!(classes.iter().all(|c| c.is_some()));
    assert!(classes.contains(&Some(SourceClass::NonCompliant)));
    // 600 records, 3 sources: example.com's SPF tree and 3 PTR names, each asked once.
    assert!(
        server.repeated_queries().is_empty(),
        "{:?}",
        server.repeated_queries()
    );
    assert!(
        server.query_count() <= 12,
        "{} queries",
        server.query_count()
    );
}

#[test]
fn an_attribution_query_that_fails_is_inconclusive_never_a_class() {
    let domains = domains_with_a_timeout(root().join(ATTRIBUTION), "example.com");
    let example = &domains[0];
    let ids: Vec<&str> = example.findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(ids, ["dns/inconclusive"]);
    assert_eq!(
        example.facts.readiness.verdict,
        mailaudit::reports::facts::ReadinessVerdict::Unknown
    );
    assert!(
        example
            .facts
            .sources
            .iter()
            .all(|s| s.source_class.is_none())
    );
}

#[test]
fn check_fails_when_the_from_domain_has_a_legitimate_source_failing_in_the_window() {
    const CAMPAIGN: &str = "fixtures/campaign/reports/campaign.toml";
    let failing = |as_of: &str| {
        let report = json(&["check", CAMPAIGN, "--as-of", as_of]);
        // Only the campaign's own domains are judged from the reports.
        let judged: Vec<&str> = results(&report, "report-domain")
            .iter()
            .map(|r| r["target"].as_str().unwrap())
            .collect();
        assert_eq!(judged, ["example.com"]);
        let example = domain(&report, "example.com");
        example["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "reports/authorised-source-failing")
            .map(|f| f["severity"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    // The CRM failed on 2024-05-01: inside the 30 days that end on 2024-05-10 ...
    assert_eq!(failing("2024-05-10"), ["error"]);
    assert_eq!(failing("2024-05-30"), ["error"]);
    // ... and outside those that end on 2024-05-31 or later.
    assert!(failing("2024-05-31").is_empty());
    assert!(failing("2024-07-01").is_empty());
}

/// The whole feedback corpus through the command: every file a result, each one a report of
/// its type or refused with a reason; a complaint is never a failure report, and the JSON
/// expectations mail-auth ships next to its samples are refused as what they are.
#[test]
fn every_feedback_file_through_the_command_is_a_report_or_refused_with_a_reason() {
    let dir = "fixtures/conformance/feedback";
    let report = json(&["reports", dir]);
    let reports = results(&report, "report");
    let mut files = 0;
    let mut stack = vec![root().join(dir)];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(d).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            // The licences and notes too: they are read, and refused as no report.
            if path.is_dir() {
                stack.push(path);
            } else if !name.starts_with('.') {
                files += 1;
            }
        }
    }
    let mut by_type: std::collections::BTreeMap<String, usize> = Default::default();
    let mut refused = 0;
    let mut seen_files = std::collections::BTreeSet::new();
    for r in &reports {
        let facts = &r["facts"];
        seen_files.insert(facts["file"].as_str().unwrap().to_string());
        let read = facts["org_name"].is_string()
            || facts["report"].is_object()
            || facts["records"].as_array().is_some_and(|a| !a.is_empty());
        if read {
            *by_type
                .entry(facts["report_type"].as_str().unwrap().to_string())
                .or_default() += 1;
        } else {
            refused += 1;
            let reason = r["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["rule"] == "reports/invalid-report")
                .unwrap_or_else(|| panic!("{}: neither read nor refused", r["target"]));
            assert!(
                reason["message"].as_str().unwrap().len()
                    > facts["file"].as_str().unwrap().len() + 10,
                "{reason}"
            );
        }
        let file = facts["file"].as_str().unwrap();
        if file.contains("/arf/sisimai-") || file.ends_with("/arf/001.eml") {
            // sisimai's and mail-auth's complaints (abuse, opt-out...) or their auth-failures
            let ty = facts["report"]["feedback_type"].as_str();
            assert!(ty.is_none() || ty == Some("auth-failure"), "{file}: {ty:?}");
        }
        if file.contains("/mail-auth/") && file.ends_with(".json") && !file.contains("tlsrpt") {
            assert!(
                !read,
                "{file}: mail-auth's expected result read as a report"
            );
        }
    }
    assert_eq!(seen_files.len(), files, "every file has a result");
    eprintln!(
        "feedback corpus through `mailaudit reports`: {files} files, read {by_type:?}, {refused} refused with a reason"
    );
    // 26 aggregate reports (the 2 others refused: see reports_aggregate); 4 of the 5
    // dmarc-failure files (Exim's has no ARF part) and the 6 auth-failure ARF samples; all 9
    // TLS files (rfc8460.json is mail-auth's rpt01 again: read, counted once).
    let count = |t: &str| by_type.get(t).copied().unwrap_or(0);
    assert_eq!(
        (count("aggregate"), count("failure"), count("tls")),
        (26, 10, 9)
    );
}

/// A TLS report's failed sessions, per policy and result type, in the finding and the human
/// text; a report of a day without failures says nothing.
#[test]
fn tls_failures_name_the_policy_the_result_types_and_the_mx_hosts() {
    let report = json(&[
        "reports",
        "fixtures/conformance/feedback/tlsrpt/rfc8460.json",
    ]);
    let r = &results(&report, "report")[0];
    assert_eq!(r["facts"]["report_type"], "tls");
    assert_eq!(r["facts"]["message_count"], 5629);
    let f = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "reports/tls-failures")
        .expect("tls-failures");
    let message = f["message"].as_str().unwrap();
    assert!(
        message.contains("303 failed sessions of 5,629 for company-y.example"),
        "{message}"
    );
    assert!(
        message.contains("certificate-expired 100 (mx1.mail.company-y.example)"),
        "{message}"
    );
    assert_eq!(f["evidence"]["measured"], 303);
    let quiet = json(&[
        "reports",
        "fixtures/conformance/feedback/tlsrpt/google.com_smtp_tls_report.eml",
    ]);
    let r = &results(&quiet, "report")[0];
    assert_eq!(r["facts"]["report_type"], "tls");
    assert!(!rules_of(r).contains(&"reports/tls-failures"), "{r}");
    let (_, text, _) = mailaudit(
        &[
            "reports",
            "fixtures/conformance/feedback/tlsrpt/rfc8460.json",
        ],
        root(),
    );
    assert!(
        text.contains("company-y.example (sts): 5,326 successful, 303 failed sessions"),
        "{text}"
    );
    // Sent twice, counted once.
    let twice = json(&[
        "reports",
        "fixtures/conformance/feedback/tlsrpt/rfc8460.json",
        "fixtures/conformance/feedback/tlsrpt/rfc8460.json",
    ]);
    let fired: usize = results(&twice, "report")
        .iter()
        .filter(|r| rules_of(r).contains(&"reports/tls-failures"))
        .count();
    assert_eq!(fired, 1);
}
