//! SMTP TLS reports (RFC 8460 §4: the JSON report format; §4.3 the result types; §4.4 the
//! JSON schema), read leniently: a field a real reporter leaves out or writes in another shape
//! (`mx-host` as one string instead of a list, a count as a string) is a problem and the report
//! is kept; JSON that does not parse is an error with its line.

use super::aggregate::{ReportError, ReportProblem};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};
use std::net::IpAddr;

/// Strings kept from a report are cut to this many bytes (the problem says so): a bound on
/// memory for a hostile report and on what a finding may quote.
pub const MAX_STRING: usize = 4096;

/// A TLS report larger than this is refused before it is parsed: real ones are a few KB, and
/// a JSON tree takes many times its text in memory.
pub const MAX_JSON: usize = 16 << 20;

/// Policies and failure details kept, at most (RFC 8460 sets no limit; real reports have a
/// handful).
pub const MAX_ITEMS: usize = 10_000;

/// One SMTP TLS report, with RFC 8460's field names (`-` written `_`, as parsedmarc does).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TlsReport {
    pub organization_name: String,
    pub date_range: DateRange,
    pub contact_info: Option<String>,
    pub report_id: String,
    pub policies: Vec<TlsPolicy>,
}

/// `date-range`: RFC 3339 date-times as written, and their Unix times when they parse.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DateRange {
    pub start_datetime: Option<String>,
    pub end_datetime: Option<String>,
    pub start: Option<i64>,
    pub end: Option<i64>,
}

/// One entry of `policies`: the policy applied, its session counts and its failures.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TlsPolicy {
    pub policy: PolicyDetails,
    pub summary: Summary,
    pub failure_details: Vec<FailureDetail>,
}

/// `policy` (RFC 8460 §4.4): `policy_type` is `sts`, `tlsa` or `no-policy-found`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PolicyDetails {
    pub policy_type: Option<String>,
    pub policy_string: Vec<String>,
    pub policy_domain: Option<String>,
    pub mx_host: Vec<String>,
}

/// `summary`: a count the report leaves out is unknown (`None`), never zero.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub total_successful_session_count: Option<u64>,
    pub total_failure_session_count: Option<u64>,
}

/// One entry of `failure-details`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailureDetail {
    pub result_type: ResultType,
    pub sending_mta_ip: Option<IpAddr>,
    pub receiving_mx_hostname: Option<String>,
    pub receiving_mx_helo: Option<String>,
    pub receiving_ip: Option<IpAddr>,
    pub failed_session_count: Option<u64>,
    pub additional_information: Option<String>,
    pub failure_reason_code: Option<String>,
}

/// The result types of RFC 8460 §4.3: negotiation failures (§4.3.1) and policy failures
/// (§4.3.2, DANE and MTA-STS); any other value is kept as written.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ResultType {
    StarttlsNotSupported,
    CertificateHostMismatch,
    CertificateNotTrusted,
    CertificateExpired,
    ValidationFailure,
    TlsaInvalid,
    DnssecInvalid,
    DaneRequired,
    StsPolicyFetchError,
    StsPolicyInvalid,
    StsWebpkiInvalid,
    Other(String),
}

const RESULT_TYPES: &[(&str, ResultType)] = &[
    ("starttls-not-supported", ResultType::StarttlsNotSupported),
    (
        "certificate-host-mismatch",
        ResultType::CertificateHostMismatch,
    ),
    ("certificate-not-trusted", ResultType::CertificateNotTrusted),
    ("certificate-expired", ResultType::CertificateExpired),
    ("validation-failure", ResultType::ValidationFailure),
    ("tlsa-invalid", ResultType::TlsaInvalid),
    ("dnssec-invalid", ResultType::DnssecInvalid),
    ("dane-required", ResultType::DaneRequired),
    ("sts-policy-fetch-error", ResultType::StsPolicyFetchError),
    ("sts-policy-invalid", ResultType::StsPolicyInvalid),
    ("sts-webpki-invalid", ResultType::StsWebpkiInvalid),
];

impl ResultType {
    /// The value as RFC 8460 writes it (an unknown one as the report wrote it).
    pub fn as_str(&self) -> &str {
        match self {
            ResultType::Other(s) => s,
            known => RESULT_TYPES
                .iter()
                .find(|(_, t)| t == known)
                .map_or("", |(name, _)| name),
        }
    }

    /// The type named by `value`, compared case-insensitively.
    pub fn parse(value: &str) -> ResultType {
        RESULT_TYPES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(value))
            .map_or_else(|| ResultType::Other(value.to_string()), |(_, t)| t.clone())
    }
}

impl Serialize for ResultType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A TLS report read, with what was wrong in it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParsedTls {
    pub report: TlsReport,
    pub problems: Vec<ReportProblem>,
}

const POLICY_TYPES: &[&str] = &["sts", "tlsa", "no-policy-found"];

/// Read one SMTP TLS report's JSON (already out of its gzip or message: see
/// [`super::container::payloads`]).
pub fn parse_tls(json: &[u8]) -> Result<ParsedTls, ReportError> {
    let json = json.strip_prefix(b"\xef\xbb\xbf").unwrap_or(json);
    if json.len() > MAX_JSON {
        return Err(ReportError {
            line: 1,
            message: format!(
                "{} bytes of JSON, more than the {MAX_JSON} a TLS report may have: refused",
                json.len()
            ),
        });
    }
    let value: Value = serde_json::from_slice(json).map_err(|e| ReportError {
        line: e.line().max(1),
        message: format!("not valid JSON: {e}"),
    })?;
    let Value::Object(top) = value else {
        return Err(ReportError {
            line: 1,
            message: "the JSON is not an object: not an SMTP TLS report".into(),
        });
    };
    let mut reader = Reader::default();
    let organization_name = reader.string(&top, "organization-name", "");
    let report_id = reader.string(&top, "report-id", "");
    let mut missing = Vec::new();
    if organization_name.is_none() {
        missing.push("organization-name");
    }
    if report_id.is_none() {
        missing.push("report-id");
    }
    if !missing.is_empty() {
        return Err(ReportError {
            line: 1,
            message: format!(
                "the report has no {}: not a usable SMTP TLS report",
                missing.join(" or ")
            ),
        });
    }
    let contact_info = reader.string(&top, "contact-info", "");
    if contact_info.is_none() {
        reader.missing("", "contact-info");
    }
    let date_range = match reader.object(&top, "date-range", "") {
        Some(range) => {
            let mut field = |key: &str| {
                let text = reader.string(range, key, "date-range.");
                let time = text.as_deref().and_then(|t| {
                    let parsed = mail_parser::DateTime::parse_rfc3339(t.trim())
                        .filter(mail_parser::DateTime::is_valid)
                        .map(|d| d.to_timestamp());
                    if parsed.is_none() {
                        reader.problem(format!(
                            "date-range.{key} is {:?}, not an RFC 3339 date-time",
                            crate::text::escape_untrusted(t)
                        ));
                    }
                    parsed
                });
                if text.is_none() {
                    reader.missing("date-range.", key);
                }
                (text, time)
            };
            let (start_datetime, start) = field("start-datetime");
            let (end_datetime, end) = field("end-datetime");
            DateRange {
                start_datetime,
                end_datetime,
                start,
                end,
            }
        }
        None => {
            reader.missing("", "date-range");
            DateRange::default()
        }
    };
    let mut policies = Vec::new();
    match top.get("policies") {
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                if i >= MAX_ITEMS {
                    reader.problem(format!(
                        "{} policies past the first {MAX_ITEMS} are left out",
                        items.len() - MAX_ITEMS
                    ));
                    break;
                }
                let at = format!("policies[{i}]");
                match item {
                    Value::Object(policy) => policies.push(reader.policy(policy, &at)),
                    _ => reader.problem(format!("{at} is not an object: left out")),
                }
            }
            if items.is_empty() {
                reader.problem("policies is empty: the report says nothing".into());
            }
        }
        Some(_) => reader.problem("policies is not a list: no policy read".into()),
        None => reader.missing("", "policies"),
    }
    Ok(ParsedTls {
        report: TlsReport {
            organization_name: organization_name.unwrap_or_default(),
            date_range,
            contact_info,
            report_id: report_id.unwrap_or_default(),
            policies,
        },
        problems: reader.problems,
    })
}

/// Reads fields out of the JSON, noting each deviation. JSON values carry no position, so a
/// problem names its place by path (`policies[0].summary`) on line 1.
#[derive(Default)]
struct Reader {
    problems: Vec<ReportProblem>,
}

impl Reader {
    fn problem(&mut self, message: String) {
        self.problems.push(ReportProblem { line: 1, message });
    }

    fn missing(&mut self, at: &str, key: &str) {
        self.problem(format!("{at}{key} is missing (RFC 8460 §4.4 requires it)"));
    }

    /// A string field; a number is taken as its text, anything else is a problem.
    fn string(&mut self, object: &Map<String, Value>, key: &str, at: &str) -> Option<String> {
        // Kept as written (a trailing blank too): only a blank value counts as absent.
        let text = match object.get(key)? {
            Value::String(s) => s.clone(),
            Value::Number(n) => {
                self.problem(format!("{at}{key} is a number, not a string: read as text"));
                n.to_string()
            }
            Value::Null => return None,
            _ => {
                self.problem(format!("{at}{key} is not a string: left out"));
                return None;
            }
        };
        if text.trim().is_empty() {
            return None;
        }
        Some(self.bounded(text, &format!("{at}{key}")))
    }

    fn bounded(&mut self, mut text: String, what: &str) -> String {
        if text.len() > MAX_STRING {
            let mut end = MAX_STRING;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.truncate(end);
            self.problem(format!("{what} is longer than {MAX_STRING} bytes: cut"));
        }
        text
    }

    fn object<'v>(
        &mut self,
        object: &'v Map<String, Value>,
        key: &str,
        at: &str,
    ) -> Option<&'v Map<String, Value>> {
        match object.get(key)? {
            Value::Object(inner) => Some(inner),
            _ => {
                self.problem(format!("{at}{key} is not an object: left out"));
                None
            }
        }
    }

    /// A list of strings; one string where the RFC wants a list is taken as a list of one.
    fn strings(&mut self, object: &Map<String, Value>, key: &str, at: &str) -> Vec<String> {
        let what = format!("{at}{key}");
        match object.get(key) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(s)) => {
                self.problem(format!(
                    "{what} is a string, not a list of strings: read as a list of one"
                ));
                vec![self.bounded(s.trim().to_string(), &what)]
            }
            Some(Value::Array(items)) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    if i >= MAX_ITEMS {
                        self.problem(format!("{what}: items past the first {MAX_ITEMS} left out"));
                        break;
                    }
                    match item {
                        Value::String(s) => out.push(self.bounded(s.clone(), &what)),
                        _ => self.problem(format!("{what}[{i}] is not a string: left out")),
                    }
                }
                out
            }
            Some(_) => {
                self.problem(format!("{what} is not a list of strings: left out"));
                Vec::new()
            }
        }
    }

    /// A count: a non-negative integer, or a string of digits (a problem).
    fn count(&mut self, object: &Map<String, Value>, key: &str, at: &str) -> Option<u64> {
        let what = format!("{at}{key}");
        match object.get(key)? {
            Value::Number(n) => {
                let count = n.as_u64();
                if count.is_none() {
                    self.problem(format!(
                        "{what} is {n}, not a whole number of sessions: left out"
                    ));
                }
                count
            }
            Value::String(s) => {
                let count = s.trim().parse::<u64>().ok();
                match count {
                    Some(_) => {
                        self.problem(format!("{what} is a string, not a number: read as one"))
                    }
                    None => self.problem(format!(
                        "{what} is {:?}, not a number of sessions: left out",
                        crate::text::escape_untrusted(s)
                    )),
                }
                count
            }
            _ => {
                self.problem(format!("{what} is not a number: left out"));
                None
            }
        }
    }

    fn ip(&mut self, object: &Map<String, Value>, key: &str, at: &str) -> Option<IpAddr> {
        let text = self.string(object, key, at)?;
        // Some reporters bracket addresses as in a Received field.
        let bare = text.trim().trim_start_matches('[').trim_end_matches(']');
        let ip = bare.parse::<IpAddr>().ok();
        if ip.is_none() {
            self.problem(format!(
                "{at}{key} is {:?}, not an IP address: left out",
                crate::text::escape_untrusted(&text)
            ));
        }
        ip
    }

    fn policy(&mut self, entry: &Map<String, Value>, at: &str) -> TlsPolicy {
        let mut out = TlsPolicy::default();
        let inner = format!("{at}.policy.");
        match self.object(entry, "policy", &format!("{at}.")) {
            Some(policy) => {
                let policy_type = self
                    .string(policy, "policy-type", &inner)
                    .map(|t| t.trim().to_ascii_lowercase());
                match &policy_type {
                    Some(t) if !POLICY_TYPES.contains(&t.as_str()) => self.problem(format!(
                        "{inner}policy-type {:?} is not one of {}: kept as written",
                        crate::text::escape_untrusted(t),
                        POLICY_TYPES.join(", ")
                    )),
                    Some(_) => {}
                    None => self.missing(&inner, "policy-type"),
                }
                let policy_domain = self
                    .string(policy, "policy-domain", &inner)
                    .map(|d| d.trim().to_ascii_lowercase());
                if policy_domain.is_none() {
                    self.missing(&inner, "policy-domain");
                }
                out.policy = PolicyDetails {
                    policy_type,
                    policy_string: self.strings(policy, "policy-string", &inner),
                    policy_domain,
                    mx_host: self.strings(policy, "mx-host", &inner),
                };
                // The drafts before RFC 8460 named it mx-host-pattern; some reporters still do.
                if out.policy.mx_host.is_empty() && policy.contains_key("mx-host-pattern") {
                    self.problem(format!(
                        "{inner}mx-host-pattern is the draft name of mx-host (RFC 8460 §4.4): read as it"
                    ));
                    out.policy.mx_host = self.strings(policy, "mx-host-pattern", &inner);
                }
            }
            None => self.missing(&format!("{at}."), "policy"),
        }
        let summary_at = format!("{at}.summary.");
        match self.object(entry, "summary", &format!("{at}.")) {
            Some(summary) => {
                out.summary = Summary {
                    total_successful_session_count: self.count(
                        summary,
                        "total-successful-session-count",
                        &summary_at,
                    ),
                    total_failure_session_count: self.count(
                        summary,
                        "total-failure-session-count",
                        &summary_at,
                    ),
                };
                for (key, value) in [
                    (
                        "total-successful-session-count",
                        out.summary.total_successful_session_count,
                    ),
                    (
                        "total-failure-session-count",
                        out.summary.total_failure_session_count,
                    ),
                ] {
                    if value.is_none() && !summary.contains_key(key) {
                        self.missing(&summary_at, key);
                    }
                }
            }
            None => self.missing(&format!("{at}."), "summary"),
        }
        match entry.get("failure-details") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    if i >= MAX_ITEMS {
                        self.problem(format!(
                            "{at}.failure-details: entries past the first {MAX_ITEMS} left out"
                        ));
                        break;
                    }
                    let here = format!("{at}.failure-details[{i}].");
                    match item {
                        Value::Object(detail) => {
                            if let Some(d) = self.failure_detail(detail, &here) {
                                out.failure_details.push(d);
                            }
                        }
                        _ => self.problem(format!("{here} is not an object: left out")),
                    }
                }
            }
            Some(_) => self.problem(format!("{at}.failure-details is not a list: left out")),
        }
        // Each failed session has one result type, so the details cannot add up to more
        // failures than the summary counts (RFC 8460 §4.4).
        let detailed: u64 = out
            .failure_details
            .iter()
            .filter_map(|d| d.failed_session_count)
            .fold(0, u64::saturating_add);
        if let Some(total) = out.summary.total_failure_session_count
            && detailed > total
        {
            self.problem(format!(
                "{at}.failure-details count {detailed} failed sessions, more than the {total} of total-failure-session-count: both kept as written"
            ));
        }
        out
    }

    fn failure_detail(&mut self, detail: &Map<String, Value>, at: &str) -> Option<FailureDetail> {
        let Some(result_type) = self
            .string(detail, "result-type", at)
            .map(|t| t.trim().to_string())
        else {
            self.problem(format!(
                "{at}result-type is missing: the failure cannot be told, left out"
            ));
            return None;
        };
        let result_type = ResultType::parse(&result_type);
        if let ResultType::Other(t) = &result_type {
            self.problem(format!(
                "{at}result-type {:?} is not one of RFC 8460 §4.3: kept as written",
                crate::text::escape_untrusted(t)
            ));
        }
        let failed_session_count = self.count(detail, "failed-session-count", at);
        if failed_session_count.is_none() && !detail.contains_key("failed-session-count") {
            self.missing(at, "failed-session-count");
        }
        Some(FailureDetail {
            result_type,
            sending_mta_ip: self.ip(detail, "sending-mta-ip", at),
            receiving_mx_hostname: self
                .string(detail, "receiving-mx-hostname", at)
                .map(|h| h.trim().to_ascii_lowercase()),
            receiving_mx_helo: self.string(detail, "receiving-mx-helo", at),
            receiving_ip: self.ip(detail, "receiving-ip", at),
            failed_session_count,
            additional_information: self.string(detail, "additional-information", at),
            failure_reason_code: self.string(detail, "failure-reason-code", at),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_types_round_trip_and_unknown_ones_are_kept() {
        for (name, t) in RESULT_TYPES {
            assert_eq!(ResultType::parse(name), *t);
            assert_eq!(t.as_str(), *name);
        }
        assert_eq!(
            ResultType::parse("Certificate-Expired"),
            ResultType::CertificateExpired
        );
        let other = ResultType::parse("tls-1.0-only");
        assert_eq!(other, ResultType::Other("tls-1.0-only".into()));
        assert_eq!(other.as_str(), "tls-1.0-only");
    }

    #[test]
    fn the_draft_name_of_mx_host_is_read_with_a_problem() {
        let json = br#"{"organization-name": "o", "report-id": "r", "contact-info": "c",
            "date-range": {"start-datetime": "2024-01-01T00:00:00Z", "end-datetime": "2024-01-01T23:59:59Z"},
            "policies": [{"policy": {"policy-type": "sts", "policy-domain": "example.com",
                "mx-host-pattern": ["mx.example.com"]},
              "summary": {"total-successful-session-count": 1, "total-failure-session-count": 0}}]}"#;
        let parsed = parse_tls(json).unwrap();
        assert_eq!(parsed.report.policies[0].policy.mx_host, ["mx.example.com"]);
        assert_eq!(parsed.problems.len(), 1, "{:?}", parsed.problems);
        assert!(parsed.problems[0].message.contains("mx-host-pattern"));
        assert_eq!(parsed.report.date_range.end, Some(1_704_153_599));
    }

    #[test]
    fn what_is_not_a_tls_report_says_why() {
        let big = vec![b' '; MAX_JSON + 1];
        assert!(parse_tls(&big).unwrap_err().message.contains("refused"));
        let e = parse_tls(b"[1, 2]").unwrap_err();
        assert!(e.message.contains("not an object"), "{e}");
        let e = parse_tls(b"{\"report-id\": \"x\", \"organization-name\": \" \"}").unwrap_err();
        assert!(e.message.contains("organization-name"), "{e}");
        let e = parse_tls(b"{\n\"a\": 1,\n\"b\": }").unwrap_err();
        assert_eq!(e.line, 3, "{e}");
    }
}
