//! DMARC aggregate reports (RFC 7489 Appendix C, RFC 9990 Appendix A, and the draft-era
//! schema without `<version>`), read with a streaming XML reader into typed rows. A report
//! whose metadata is unusable is an error naming the line; a record that is wrong is a
//! problem naming its line, and the other records are kept.

use quick_xml::Reader;
use quick_xml::events::Event;
use serde::Serialize;
use std::net::IpAddr;

/// A report's records beyond this many are not kept (the problem says so): a bound on memory
/// for a hostile file that passed the size limit as many tiny records.
pub const MAX_RECORDS: usize = 1_000_000;

/// Elements nested deeper than this end the read: no schema nests more than five.
const MAX_DEPTH: usize = 32;

/// One aggregate report.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AggregateReport {
    /// `<version>` (RFC 9990: "1.0"); absent in RFC 7489 and draft-era reports.
    pub xml_schema: Option<String>,
    pub org_name: String,
    pub org_email: Option<String>,
    pub org_extra_contact_info: Option<String>,
    pub report_id: String,
    /// `<date_range>`, seconds since the epoch.
    pub begin_date: i64,
    pub end_date: i64,
    /// `<error>` elements of the metadata.
    pub errors: Vec<String>,
    pub published_policy: PublishedPolicy,
    pub records: Vec<AggregateRecord>,
}

/// `<policy_published>`, as the reporter saw it (values as written, lower-cased).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PublishedPolicy {
    pub domain: String,
    pub adkim: Option<String>,
    pub aspf: Option<String>,
    pub p: Option<String>,
    pub sp: Option<String>,
    pub np: Option<String>,
    pub pct: Option<String>,
    pub fo: Option<String>,
    /// RFC 9990 `<testing>` (y/n) and `<discovery_method>` (psl/treewalk).
    pub testing: Option<String>,
    pub discovery_method: Option<String>,
}

/// One `<record>`: a source IP and its counts and results.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AggregateRecord {
    /// The line of `<record>` in the XML.
    pub line: usize,
    pub source_ip_address: Option<IpAddr>,
    pub message_count: u64,
    /// `<policy_evaluated>`: what the receiver did and the DMARC-aligned results.
    pub disposition: Option<String>,
    pub dkim: Option<String>,
    pub spf: Option<String>,
    pub policy_override_reasons: Vec<OverrideReason>,
    pub envelope_to: Option<String>,
    pub envelope_from: Option<String>,
    pub header_from: Option<String>,
    pub dkim_results: Vec<DkimResult>,
    pub spf_results: Vec<SpfResult>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OverrideReason {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub comment: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DkimResult {
    pub domain: Option<String>,
    pub selector: Option<String>,
    pub result: Option<String>,
    pub human_result: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SpfResult {
    pub domain: Option<String>,
    pub scope: Option<String>,
    pub result: Option<String>,
    pub human_result: Option<String>,
}

/// Something wrong in a report that did not stop it from being read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReportProblem {
    pub line: usize,
    pub message: String,
}

/// Why a report could not be read at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ReportError {
    pub line: usize,
    pub message: String,
}

/// A report read, with what was wrong in it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParsedAggregate {
    pub report: AggregateReport,
    pub problems: Vec<ReportProblem>,
}

/// The values the schemas define, lower-case (RFC 7489 Appendix C; RFC 9990 Appendix A).
const DISPOSITIONS: &[&str] = &["none", "quarantine", "reject", "pass"];
const DMARC_RESULTS: &[&str] = &["pass", "fail"];
const DKIM_RESULTS: &[&str] = &[
    "none",
    "pass",
    "fail",
    "policy",
    "neutral",
    "temperror",
    "permerror",
];
const SPF_RESULTS: &[&str] = &[
    "none",
    "neutral",
    "pass",
    "fail",
    "softfail",
    "temperror",
    "permerror",
];

/// Read one aggregate report's XML.
pub fn parse_aggregate(xml: &[u8]) -> Result<ParsedAggregate, ReportError> {
    let mut reader = Reader::from_reader(xml);
    reader.config_mut().trim_text(false);
    let mut parser = Parser {
        xml,
        lines: crate::text::LineCounter::new(xml),
        out: ParsedAggregate::default(),
        path: Vec::new(),
        text: String::new(),
        seen_root: false,
        record: None,
        dropped: 0,
        wrapper: None,
    };
    loop {
        let offset = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| ReportError {
            line: crate::text::line_of(xml, reader.error_position() as usize),
            message: format!("not well-formed XML: {e}"),
        })?;
        match event {
            Event::Start(start) => {
                let name =
                    String::from_utf8_lossy(start.local_name().as_ref()).to_ascii_lowercase();
                parser.start(name, offset)?;
            }
            Event::Empty(start) => {
                let name =
                    String::from_utf8_lossy(start.local_name().as_ref()).to_ascii_lowercase();
                parser.start(name, offset)?;
                parser.end(offset);
            }
            Event::End(_) => parser.end(offset),
            Event::Text(text) => match std::str::from_utf8(&text) {
                Ok(decoded) => parser.text.push_str(decoded),
                Err(_) => {
                    // Kept, with U+FFFD for the bad bytes: the counts are still worth having.
                    parser.text.push_str(&String::from_utf8_lossy(&text));
                    let line = parser.lines.line_at(offset);
                    parser.out.problems.push(ReportProblem {
                        line,
                        message:
                            "text that is not UTF-8: read with U+FFFD in place of the bad bytes"
                                .into(),
                    });
                }
            },
            Event::CData(data) => parser.text.push_str(&String::from_utf8_lossy(&data)),
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => Some(c.to_string()),
                    _ => reference.decode().ok().and_then(|name| {
                        quick_xml::escape::resolve_predefined_entity(&name).map(str::to_string)
                    }),
                };
                match resolved {
                    Some(s) => parser.text.push_str(&s),
                    None => {
                        return Err(ReportError {
                            line: crate::text::line_of(xml, offset),
                            message: "an entity reference that XML does not predefine".into(),
                        });
                    }
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    parser.finish()
}

struct Parser<'a> {
    xml: &'a [u8],
    /// Lines of the offsets met, counted once through the document.
    lines: crate::text::LineCounter<'a>,
    out: ParsedAggregate,
    path: Vec<String>,
    text: String,
    seen_root: bool,
    record: Option<AggregateRecord>,
    dropped: usize,
    /// A document element around `<feedback>` (one reporter sends it inside `<xs:schema>`):
    /// its name while open.
    wrapper: Option<String>,
}

impl Parser<'_> {
    fn start(&mut self, name: String, offset: usize) -> Result<(), ReportError> {
        let line = self.lines.line_at(offset);
        if self.path.is_empty() {
            if name != "feedback" && self.wrapper.is_none() && !self.seen_root {
                self.out.problems.push(ReportProblem {
                    line,
                    message: format!(
                        "the document element is <{name}>, not <feedback>: the report inside it is read"
                    ),
                });
                self.wrapper = Some(name);
                return Ok(());
            }
            if name != "feedback" || self.seen_root {
                let message = match &self.wrapper {
                    Some(wrapper) => format!(
                        "the document element <{wrapper}> holds <{name}>, not the <feedback> of a DMARC aggregate report"
                    ),
                    None => format!(
                        "the document element is <{name}>, not the <feedback> of a DMARC aggregate report"
                    ),
                };
                return Err(ReportError { line, message });
            }
            self.seen_root = true;
        }
        if self.path.len() >= MAX_DEPTH {
            return Err(ReportError {
                line,
                message: format!("elements nested more than {MAX_DEPTH} deep"),
            });
        }
        self.text.clear();
        let path: Vec<&str> = self.path.iter().map(String::as_str).collect();
        match (path.as_slice(), name.as_str()) {
            (["feedback"], "record") => {
                self.record = Some(AggregateRecord {
                    line,
                    ..AggregateRecord::default()
                });
            }
            (["feedback", "record", "row", "policy_evaluated"], "reason") => {
                if let Some(r) = &mut self.record {
                    r.policy_override_reasons.push(OverrideReason::default());
                }
            }
            (["feedback", "record", "auth_results"], "dkim") => {
                if let Some(r) = &mut self.record {
                    r.dkim_results.push(DkimResult::default());
                }
            }
            (["feedback", "record", "auth_results"], "spf") => {
                if let Some(r) = &mut self.record {
                    r.spf_results.push(SpfResult::default());
                }
            }
            _ => {}
        }
        self.path.push(name);
        Ok(())
    }

    fn end(&mut self, offset: usize) {
        if self.path.is_empty() {
            self.wrapper = None;
            return;
        }
        let line = self.lines.line_at(offset);
        let text = std::mem::take(&mut self.text);
        let value = text.trim().to_string();
        let path: Vec<&str> = self.path.iter().map(String::as_str).collect();
        let opt = || (!value.is_empty()).then(|| value.clone());
        let lower = || (!value.is_empty()).then(|| value.to_ascii_lowercase());
        let report = &mut self.out.report;
        match path.as_slice() {
            ["feedback", "version"] => report.xml_schema = opt(),
            ["feedback", "report_metadata", "org_name"] => report.org_name = value.clone(),
            ["feedback", "report_metadata", "email"] => report.org_email = opt(),
            ["feedback", "report_metadata", "extra_contact_info"] => {
                report.org_extra_contact_info = opt()
            }
            ["feedback", "report_metadata", "report_id"] => report.report_id = value.clone(),
            ["feedback", "report_metadata", "error"] => report.errors.extend(opt()),
            [
                "feedback",
                "report_metadata",
                "date_range",
                which @ ("begin" | "end"),
            ] => match value.parse::<i64>() {
                Ok(n) if *which == "begin" => report.begin_date = n,
                Ok(n) => report.end_date = n,
                Err(_) => {
                    self.out.problems.push(ReportProblem {
                        line,
                        message: format!(
                            "<{which}> is {:?}, not seconds since the epoch",
                            crate::text::escape_untrusted(&value)
                        ),
                    });
                }
            },
            ["feedback", "policy_published", tag] => {
                let policy = &mut report.published_policy;
                match *tag {
                    "domain" => policy.domain = value.to_ascii_lowercase(),
                    "adkim" => policy.adkim = lower(),
                    "aspf" => policy.aspf = lower(),
                    "p" => policy.p = lower(),
                    "sp" => policy.sp = lower(),
                    "np" => policy.np = lower(),
                    "pct" => policy.pct = opt(),
                    "fo" => policy.fo = opt(),
                    "testing" => policy.testing = lower(),
                    "discovery_method" => policy.discovery_method = lower(),
                    _ => {}
                }
            }
            ["feedback", "record"] => {
                self.path.pop();
                if let Some(record) = self.record.take() {
                    self.finish_record(record);
                }
                return;
            }
            ["feedback", "record", rest @ ..] => {
                if let Some(r) = &mut self.record {
                    match rest {
                        ["row", "source_ip"] => match value.parse::<IpAddr>() {
                            Ok(ip) => r.source_ip_address = Some(ip),
                            Err(_) => self.out.problems.push(ReportProblem {
                                line,
                                message: format!(
                                    "<source_ip> is {:?}, not an IP address",
                                    crate::text::escape_untrusted(&value)
                                ),
                            }),
                        },
                        ["row", "count"] => match value.parse::<u64>() {
                            Ok(n) => r.message_count = n,
                            Err(_) => self.out.problems.push(ReportProblem {
                                line,
                                message: format!(
                                    "<count> is {:?}, not a number of messages",
                                    crate::text::escape_untrusted(&value)
                                ),
                            }),
                        },
                        ["row", "policy_evaluated", "disposition"] => r.disposition = lower(),
                        ["row", "policy_evaluated", "dkim"] => r.dkim = lower(),
                        ["row", "policy_evaluated", "spf"] => r.spf = lower(),
                        ["row", "policy_evaluated", "reason", field] => {
                            if let Some(reason) = r.policy_override_reasons.last_mut() {
                                match *field {
                                    "type" => reason.kind = lower(),
                                    "comment" => reason.comment = opt(),
                                    _ => {}
                                }
                            }
                        }
                        ["identifiers", "envelope_to"] => r.envelope_to = lower(),
                        ["identifiers", "envelope_from"] => r.envelope_from = lower(),
                        ["identifiers", "header_from"] => r.header_from = lower(),
                        ["auth_results", "dkim", field] => {
                            if let Some(d) = r.dkim_results.last_mut() {
                                match *field {
                                    "domain" => d.domain = lower(),
                                    "selector" => d.selector = opt(),
                                    "result" => d.result = lower(),
                                    "human_result" => d.human_result = opt(),
                                    _ => {}
                                }
                            }
                        }
                        ["auth_results", "spf", field] => {
                            if let Some(s) = r.spf_results.last_mut() {
                                match *field {
                                    "domain" => s.domain = lower(),
                                    "scope" => s.scope = lower(),
                                    "result" => s.result = lower(),
                                    "human_result" => s.human_result = opt(),
                                    _ => {}
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        self.path.pop();
    }

    /// Check a record's required parts and keep it (or count it, past [`MAX_RECORDS`]).
    fn finish_record(&mut self, record: AggregateRecord) {
        let line = record.line;
        let mut missing = Vec::new();
        if record.source_ip_address.is_none() {
            missing.push("a valid <source_ip>");
        }
        if record.header_from.is_none() {
            missing.push("<header_from>");
        }
        if !missing.is_empty() {
            self.out.problems.push(ReportProblem {
                line,
                message: format!(
                    "the record has no {}: it is left out",
                    missing.join(" and ")
                ),
            });
            return;
        }
        let mut odd = Vec::new();
        let mut check = |what: &str, value: &Option<String>, allowed: &[&str]| {
            if let Some(v) = value
                && !allowed.contains(&v.as_str())
            {
                odd.push(format!(
                    "{what} {:?} is not one of {}",
                    crate::text::escape_untrusted(v),
                    allowed.join(", ")
                ));
            }
        };
        check("<disposition>", &record.disposition, DISPOSITIONS);
        check("<policy_evaluated><dkim>", &record.dkim, DMARC_RESULTS);
        check("<policy_evaluated><spf>", &record.spf, DMARC_RESULTS);
        for d in &record.dkim_results {
            check("<auth_results><dkim><result>", &d.result, DKIM_RESULTS);
        }
        for s in &record.spf_results {
            check("<auth_results><spf><result>", &s.result, SPF_RESULTS);
        }
        if !odd.is_empty() {
            self.out.problems.push(ReportProblem {
                line,
                message: format!("{}: kept as written", odd.join("; ")),
            });
        }
        if self.out.report.records.len() >= MAX_RECORDS {
            self.dropped += 1;
            return;
        }
        self.out.report.records.push(record);
    }

    fn finish(mut self) -> Result<ParsedAggregate, ReportError> {
        if !self.seen_root {
            return Err(ReportError {
                line: 1,
                message: "no XML element at all: not a DMARC aggregate report".into(),
            });
        }
        if let Some(open) = self.path.last() {
            // A download or an attachment cut short: the records it holds may be partial.
            return Err(ReportError {
                line: crate::text::line_of(self.xml, self.xml.len()),
                message: format!(
                    "the report ends inside <{open}>, before </feedback>: it was cut short"
                ),
            });
        }
        if self.out.report.org_name.is_empty()
            && let Some(domain) = self
                .out
                .report
                .org_email
                .as_deref()
                .and_then(|e| e.rsplit_once('@'))
                .map(|(_, d)| d.to_ascii_lowercase())
                .filter(|d| !d.is_empty())
        {
            self.out.problems.push(ReportProblem {
                line: 1,
                message: format!(
                    "the report has an empty <org_name>: named after its <email> domain, {}",
                    crate::text::escape_untrusted(&domain)
                ),
            });
            self.out.report.org_name = domain;
        }
        let report = &self.out.report;
        let mut missing = Vec::new();
        if report.org_name.is_empty() {
            missing.push("<org_name>");
        }
        if report.report_id.is_empty() {
            missing.push("<report_id>");
        }
        if report.published_policy.domain.is_empty() {
            missing.push("<policy_published><domain>");
        }
        if !missing.is_empty() {
            return Err(ReportError {
                line: 1,
                message: format!(
                    "the report has no {}: not a usable DMARC aggregate report",
                    missing.join(", ")
                ),
            });
        }
        if self.dropped > 0 {
            self.out.problems.push(ReportProblem {
                line: crate::text::line_of(self.xml, self.xml.len()),
                message: format!(
                    "{} records past the first {MAX_RECORDS} are left out",
                    self.dropped
                ),
            });
        }
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"<?xml version="1.0"?>
<feedback>
  <report_metadata>
    <org_name>Example &amp; Co</org_name>
    <email>dmarc@example.net</email>
    <report_id>r-1</report_id>
    <date_range><begin>1700000000</begin><end>1700086399</end></date_range>
  </report_metadata>
  <policy_published><domain>Example.com</domain><p>reject</p></policy_published>
  <record>
    <row><source_ip>192.0.2.1</source_ip><count>3</count>
      <policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>fail</spf></policy_evaluated>
    </row>
    <identifiers><header_from>example.com</header_from></identifiers>
    <auth_results>
      <dkim><domain>example.com</domain><selector>s1</selector><result>pass</result></dkim>
      <dkim><domain>example.com</domain><selector>ed</selector><result>fail</result></dkim>
      <spf><domain>bounce.example.net</domain><result>pass</result></spf>
    </auth_results>
  </record>
  <record>
    <row><source_ip>not-an-ip</source_ip><count>1</count></row>
    <identifiers><header_from>example.com</header_from></identifiers>
  </record>
</feedback>"#;

    #[test]
    fn a_report_reads_into_rows_and_a_bad_record_is_a_problem_with_its_line() {
        let parsed = parse_aggregate(SAMPLE.as_bytes()).unwrap();
        let r = &parsed.report;
        assert_eq!(r.org_name, "Example & Co");
        assert_eq!((r.begin_date, r.end_date), (1_700_000_000, 1_700_086_399));
        assert_eq!(r.published_policy.domain, "example.com");
        assert_eq!(r.records.len(), 1);
        let rec = &r.records[0];
        assert_eq!(rec.line, 10);
        assert_eq!(rec.message_count, 3);
        assert_eq!(rec.dkim_results.len(), 2);
        assert_eq!(
            rec.spf_results[0].domain.as_deref(),
            Some("bounce.example.net")
        );
        assert_eq!(parsed.problems.len(), 2, "{:?}", parsed.problems);
        assert_eq!(parsed.problems[0].line, 22);
        assert!(parsed.problems[0].message.contains("not an IP address"));
        assert!(parsed.problems[1].message.contains("left out"));
    }

    #[test]
    fn what_is_not_a_report_says_why_and_where() {
        let e = parse_aggregate(b"").unwrap_err();
        assert!(e.message.contains("no XML element"), "{e}");
        let e = parse_aggregate(b"<html>\n<body/></html>").unwrap_err();
        assert!(e.message.contains("<html>"), "{e}");
        let e =
            parse_aggregate(b"<feedback>\n<report_metadata>\n<email><a@b></email>").unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        let deep = "<feedback>".to_string() + &"<x>".repeat(100);
        assert!(
            parse_aggregate(deep.as_bytes())
                .unwrap_err()
                .message
                .contains("nested")
        );
    }
}
