//! `check_host()` (RFC 7208 §4–§7): evaluate a domain's SPF policy for a client IP.

use super::lookup::{SpfFetch, select_spf_record};
use super::macros::{self, MacroContext, MacroEnv};
use super::parser;
use super::record::{MacroString, Mechanism, Modifier, Qualifier, Span, TermKind};
use crate::dns::{
    Answer, DnsFailure, FailureKind, Rdata, RecordType, Resolver, is_valid_query_name,
    normalize_name,
};
use serde::Serialize;
use std::fmt;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::pin::Pin;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The seven results of RFC 7208 §2.6.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SpfResult {
    None,
    Neutral,
    Pass,
    Fail,
    SoftFail,
    TempError,
    PermError,
}

impl SpfResult {
    pub fn as_str(self) -> &'static str {
        match self {
            SpfResult::None => "none",
            SpfResult::Neutral => "neutral",
            SpfResult::Pass => "pass",
            SpfResult::Fail => "fail",
            SpfResult::SoftFail => "softfail",
            SpfResult::TempError => "temperror",
            SpfResult::PermError => "permerror",
        }
    }
}

impl fmt::Display for SpfResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<Qualifier> for SpfResult {
    fn from(q: Qualifier) -> Self {
        match q {
            Qualifier::Pass => SpfResult::Pass,
            Qualifier::Fail => SpfResult::Fail,
            Qualifier::SoftFail => SpfResult::SoftFail,
            Qualifier::Neutral => SpfResult::Neutral,
        }
    }
}

/// The arguments of `check_host(<ip>, <domain>, <sender>)` plus the HELO name for `%{h}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckHostInput {
    pub ip: IpAddr,
    /// The domain whose policy is checked; empty means "the sender's domain".
    pub domain: String,
    /// MAIL FROM; empty means `postmaster@<helo>` (§2.4).
    pub sender: String,
    pub helo: String,
}

impl CheckHostInput {
    /// Check the MAIL FROM identity, or the HELO identity when MAIL FROM is empty (§2.4).
    pub fn mail_from(ip: IpAddr, mail_from: &str, helo: &str) -> CheckHostInput {
        let (_, _, domain) = split_sender(mail_from, helo);
        CheckHostInput {
            ip,
            domain,
            sender: mail_from.to_string(),
            helo: helo.to_string(),
        }
    }

    /// Check the HELO identity (§2.3).
    pub fn helo_identity(ip: IpAddr, helo: &str) -> CheckHostInput {
        CheckHostInput::mail_from(ip, "", helo)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckHostOptions {
    /// DNS-querying terms per evaluation (§4.6.4).
    pub max_lookups: u32,
    /// Lookups answering NXDOMAIN or no data (§4.6.4).
    pub max_void_lookups: u32,
    /// MX names per `mx`, PTR names per `ptr` / `%{p}` (§4.6.4).
    pub max_mx_or_ptr_names: u32,
    /// `%{r}`: the receiving host's name.
    pub receiver: String,
    /// Explanation for `fail` when the record has no usable `exp=`.
    pub default_explanation: Option<String>,
    /// Elapsed-time limit; exceeding it gives temperror (§4.6.4 suggests at least 20 s).
    pub time_limit: Option<Duration>,
    /// `%{t}`; the current time when `None`.
    pub timestamp: Option<u64>,
}

impl Default for CheckHostOptions {
    fn default() -> Self {
        CheckHostOptions {
            max_lookups: 10,
            max_void_lookups: 2,
            max_mx_or_ptr_names: 10,
            // §7.3: "unknown" when the receiver has no name to give.
            receiver: "unknown".to_string(),
            default_explanation: None,
            time_limit: Some(Duration::from_secs(20)),
            timestamp: None,
        }
    }
}

/// The term that decided the result (or raised the error), in the record of `domain`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DecidingTerm {
    pub domain: String,
    pub term: String,
    pub span: Span,
}

/// One step of the evaluation, for humans.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TraceStep {
    /// Include/redirect nesting level (0 = the checked domain).
    pub depth: u32,
    /// The domain whose record was being evaluated.
    pub domain: String,
    pub event: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckHostOutcome {
    pub result: SpfResult,
    pub deciding_term: Option<DecidingTerm>,
    /// Only for `fail`: the `exp=` text, or the default explanation.
    pub explanation: Option<String>,
    /// Why the result is permerror or temperror.
    pub problem: Option<String>,
    pub lookups: u32,
    pub void_lookups: u32,
    pub trace: Vec<TraceStep>,
}

/// The facts of one `mailaudit spf` run: the outcome of `check_host()` and the input it was
/// evaluated for (the IP, the MAIL FROM and the HELO name), all in one object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckHostFacts {
    #[serde(flatten)]
    pub outcome: CheckHostOutcome,
    pub ip: IpAddr,
    pub sender: String,
    pub helo: String,
}

/// Nesting bound independent of the options, so no setting makes recursion unbounded.
const MAX_DEPTH: u32 = 32;
/// Total DNS queries per evaluation, whatever the options say.
const MAX_DNS_QUERIES: u32 = 2000;

/// Evaluate `input` per RFC 7208. Never panics; DNS trouble becomes temperror.
pub async fn check_host(
    resolver: &Resolver,
    input: &CheckHostInput,
    options: &CheckHostOptions,
) -> CheckHostOutcome {
    let ip = input.ip.to_canonical();
    let (sender, local_part, sender_domain) = split_sender(&input.sender, &input.helo);
    let domain = if input.domain.is_empty() {
        sender_domain.clone()
    } else {
        input.domain.clone()
    };
    let domain = domain.strip_suffix('.').unwrap_or(&domain).to_string();
    let timestamp = options.timestamp.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    });
    let mut ev = Evaluator {
        resolver,
        options,
        ip,
        sender,
        local_part,
        sender_domain,
        helo: input.helo.clone(),
        timestamp,
        lookups: 0,
        void_lookups: 0,
        queries: 0,
        trace: Vec::new(),
        validated: None,
        started: Instant::now(),
    };
    let outcome = ev.evaluate(domain, 0).await;
    let explanation = if outcome.result == SpfResult::Fail {
        match outcome.exp {
            Some(source) => ev.explanation(source).await,
            None => None,
        }
        .or_else(|| options.default_explanation.clone())
    } else {
        None
    };
    CheckHostOutcome {
        result: outcome.result,
        deciding_term: outcome.deciding,
        explanation,
        problem: outcome.problem,
        lookups: ev.lookups,
        void_lookups: ev.void_lookups,
        trace: ev.trace,
    }
}

/// `(sender, local-part, domain)` with the §4.3 substitutions.
fn split_sender(sender: &str, helo: &str) -> (String, String, String) {
    let helo = helo.strip_suffix('.').unwrap_or(helo);
    if sender.is_empty() {
        return (
            format!("postmaster@{helo}"),
            "postmaster".to_string(),
            helo.to_string(),
        );
    }
    match sender.rsplit_once('@') {
        Some(("", domain)) => (
            format!("postmaster@{domain}"),
            "postmaster".to_string(),
            domain.to_string(),
        ),
        Some((local, domain)) => (sender.to_string(), local.to_string(), domain.to_string()),
        None => (
            format!("postmaster@{sender}"),
            "postmaster".to_string(),
            sender.to_string(),
        ),
    }
}

/// Why `domain` cannot be checked at all (§4.3: the result is then "none").
fn malformed_domain(domain: &str) -> Option<&'static str> {
    if domain.is_empty() {
        return Some("empty domain");
    }
    if domain.starts_with('[') {
        return Some("address literal, not a domain");
    }
    if domain.bytes().any(|b| !(0x20..0x7f).contains(&b)) {
        return Some("control or non-ASCII characters");
    }
    if domain.len() > 253 {
        return Some("name longer than 253 octets");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.iter().any(|l| l.is_empty()) {
        return Some("empty label");
    }
    if labels.iter().any(|l| l.len() > 63) {
        return Some("label longer than 63 octets");
    }
    if labels.len() < 2 {
        return Some("not a multi-label domain name");
    }
    if labels
        .last()
        .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()))
    {
        return Some("numeric top-level label");
    }
    None
}

/// How evaluation of a record stops early.
enum Abort {
    Temp(String),
    Perm(String),
}

impl Abort {
    fn result(&self) -> SpfResult {
        match self {
            Abort::Temp(_) => SpfResult::TempError,
            Abort::Perm(_) => SpfResult::PermError,
        }
    }

    fn into_message(self) -> String {
        match self {
            Abort::Temp(m) | Abort::Perm(m) => m,
        }
    }
}

/// Result of evaluating one domain's record (following its redirect).
struct RecordOutcome {
    result: SpfResult,
    deciding: Option<DecidingTerm>,
    /// The `exp=` of the record that decided, with that record's domain (§6.2).
    exp: Option<(String, MacroString)>,
    problem: Option<String>,
}

impl RecordOutcome {
    fn plain(result: SpfResult) -> Self {
        RecordOutcome {
            result,
            deciding: None,
            exp: None,
            problem: None,
        }
    }

    fn error(abort: Abort, deciding: Option<DecidingTerm>) -> Self {
        RecordOutcome {
            result: abort.result(),
            deciding,
            exp: None,
            problem: Some(abort.into_message()),
        }
    }
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

struct Evaluator<'a> {
    resolver: &'a Resolver,
    options: &'a CheckHostOptions,
    ip: IpAddr,
    sender: String,
    local_part: String,
    sender_domain: String,
    helo: String,
    timestamp: u64,
    lookups: u32,
    void_lookups: u32,
    queries: u32,
    trace: Vec<TraceStep>,
    /// Validated PTR names for `%{p}`, computed once.
    validated: Option<Vec<String>>,
    started: Instant,
}

impl<'a> Evaluator<'a> {
    fn step(&mut self, depth: u32, domain: &str, event: String) {
        self.trace.push(TraceStep {
            depth,
            domain: domain.to_string(),
            event,
        });
    }

    fn address_type(&self) -> RecordType {
        match self.ip {
            IpAddr::V4(_) => RecordType::A,
            IpAddr::V6(_) => RecordType::Aaaa,
        }
    }

    fn max_names(&self) -> usize {
        usize::try_from(self.options.max_mx_or_ptr_names).unwrap_or(usize::MAX)
    }

    /// One DNS query, traced and bounded in count and elapsed time.
    async fn query(
        &mut self,
        depth: u32,
        domain: &str,
        name: &str,
        rtype: RecordType,
    ) -> Result<Answer, Abort> {
        if let Some(limit) = self.options.time_limit
            && self.started.elapsed() >= limit
        {
            return Err(Abort::Temp(format!(
                "evaluation took longer than {} s",
                limit.as_secs_f32()
            )));
        }
        self.queries += 1;
        if self.queries > MAX_DNS_QUERIES {
            return Err(Abort::Perm(format!(
                "more than {MAX_DNS_QUERIES} DNS queries in one evaluation"
            )));
        }
        let answer = self.resolver.lookup(name, rtype).await;
        let what = match &answer {
            Answer::Records(r) => format!("{} record(s)", r.len()),
            Answer::NxDomain => "NXDOMAIN".to_string(),
            Answer::NoData => "no data".to_string(),
            Answer::Failure(f) => format!("failure ({f})"),
        };
        self.step(depth, domain, format!("dns {rtype} {name} -> {what}"));
        Ok(answer)
    }

    fn count_lookup(&mut self, depth: u32, domain: &str) -> Result<(), Abort> {
        self.lookups += 1;
        if self.lookups > self.options.max_lookups {
            self.step(depth, domain, "DNS lookup limit exceeded".to_string());
            return Err(Abort::Perm(format!(
                "more than {} DNS-querying terms (include, a, mx, ptr, exists, redirect)",
                self.options.max_lookups
            )));
        }
        Ok(())
    }

    fn count_void(&mut self, depth: u32, domain: &str, name: &str) -> Result<(), Abort> {
        self.void_lookups += 1;
        self.step(
            depth,
            domain,
            format!("void lookup {} for {name}", self.void_lookups),
        );
        if self.void_lookups > self.options.max_void_lookups {
            return Err(Abort::Perm(format!(
                "more than {} void lookups (NXDOMAIN or no data); the last was {name}",
                self.options.max_void_lookups
            )));
        }
        Ok(())
    }

    /// Evaluate `domain`'s record; `depth` counts include/redirect nesting.
    fn evaluate(&mut self, domain: String, depth: u32) -> BoxFuture<'_, RecordOutcome> {
        Box::pin(async move {
            let outcome = self.evaluate_record(&domain, depth).await;
            let mut event = format!("result {}", outcome.result);
            if let Some(p) = &outcome.problem {
                event.push_str(&format!(": {p}"));
            }
            self.step(depth, &domain, event);
            outcome
        })
    }

    async fn evaluate_record(&mut self, domain: &str, depth: u32) -> RecordOutcome {
        if depth > MAX_DEPTH {
            return RecordOutcome::error(
                Abort::Perm(format!("include/redirect nested deeper than {MAX_DEPTH}")),
                None,
            );
        }
        if let Some(why) = malformed_domain(domain) {
            self.step(depth, domain, format!("cannot check {domain:?}: {why}"));
            return RecordOutcome::plain(SpfResult::None);
        }
        let answer = match self.query(depth, domain, domain, RecordType::Txt).await {
            Ok(a) => a,
            Err(abort) => return RecordOutcome::error(abort, None),
        };
        let text = match select_spf_record(&answer) {
            SpfFetch::Found { record, .. } => record,
            SpfFetch::NotFound { nxdomain } => {
                let why = if nxdomain {
                    "domain does not exist"
                } else {
                    "no v=spf1 TXT record"
                };
                self.step(depth, domain, why.to_string());
                return RecordOutcome::plain(SpfResult::None);
            }
            SpfFetch::Multiple(records) => {
                return RecordOutcome::error(
                    Abort::Perm(format!(
                        "{domain} publishes {} v=spf1 records",
                        records.len()
                    )),
                    None,
                );
            }
            SpfFetch::Failure(f) => {
                return RecordOutcome::error(
                    Abort::Temp(format!("TXT lookup for {domain} failed: {f}")),
                    None,
                );
            }
        };
        let record = match parser::parse(&text) {
            Ok(r) => r,
            Err(e) => {
                let term =
                    String::from_utf8_lossy(text.get(e.span.start..e.span.end).unwrap_or(&[]))
                        .into_owned();
                return RecordOutcome::error(
                    Abort::Perm(format!(
                        "syntax error in the record of {domain}: {}",
                        e.message
                    )),
                    Some(DecidingTerm {
                        domain: domain.to_string(),
                        term,
                        span: e.span,
                    }),
                );
            }
        };
        self.step(depth, domain, format!("record: {}", record.text));
        let term_text = |span: Span| {
            record
                .text
                .get(span.start..span.end)
                .unwrap_or("")
                .to_string()
        };
        let deciding = |span: Span| DecidingTerm {
            domain: domain.to_string(),
            term: term_text(span),
            span,
        };
        let mut exp = None;
        let mut redirect = None;
        for term in &record.terms {
            match &term.kind {
                TermKind::Modifier(Modifier::Exp(ms)) => {
                    exp = Some((domain.to_string(), ms.clone()))
                }
                TermKind::Modifier(Modifier::Redirect(ms)) => redirect = Some((term.span, ms)),
                _ => {}
            }
        }
        for term in &record.terms {
            let TermKind::Directive {
                qualifier,
                mechanism,
                ..
            } = &term.kind
            else {
                continue;
            };
            match self.matches(domain, depth, mechanism).await {
                Ok(true) => {
                    self.step(depth, domain, format!("{}: match", term_text(term.span)));
                    return RecordOutcome {
                        result: SpfResult::from(*qualifier),
                        deciding: Some(deciding(term.span)),
                        exp,
                        problem: None,
                    };
                }
                Ok(false) => {
                    self.step(depth, domain, format!("{}: no match", term_text(term.span)));
                }
                Err(abort) => {
                    self.step(depth, domain, format!("{}: error", term_text(term.span)));
                    return RecordOutcome::error(abort, Some(deciding(term.span)));
                }
            }
        }
        let Some((span, target)) = redirect else {
            self.step(depth, domain, "no term matched: neutral".to_string());
            return RecordOutcome {
                result: SpfResult::Neutral,
                deciding: None,
                exp,
                problem: None,
            };
        };
        // §6.1: redirect replaces this record's result, and its exp= with the target's.
        if let Err(abort) = self.count_lookup(depth, domain) {
            return RecordOutcome::error(abort, Some(deciding(span)));
        }
        let target = match self.expand_target(domain, depth, target).await {
            Ok(t) => t,
            Err(abort) => return RecordOutcome::error(abort, Some(deciding(span))),
        };
        self.step(
            depth,
            domain,
            format!("{}: redirect to {target}", term_text(span)),
        );
        let inner = self.evaluate(target.clone(), depth + 1).await;
        if inner.result == SpfResult::None {
            return RecordOutcome::error(
                Abort::Perm(format!("redirect={target}: no SPF record there")),
                Some(deciding(span)),
            );
        }
        if inner.deciding.is_none() && inner.problem.is_some() {
            return RecordOutcome {
                deciding: Some(deciding(span)),
                ..inner
            };
        }
        inner
    }

    /// The environment for expanding macros in `domain`'s record.
    fn env<'e>(&'e self, domain: &'e str, validated: Option<&'e str>) -> MacroEnv<'e> {
        MacroEnv {
            sender: &self.sender,
            local_part: &self.local_part,
            sender_domain: &self.sender_domain,
            domain,
            ip: self.ip,
            validated_name: validated,
            helo: &self.helo,
            receiver: &self.options.receiver,
            timestamp: self.timestamp,
        }
    }

    /// `%{p}` for `domain`: computed once, then chosen per §7.3 (prefer `domain` or a subdomain).
    async fn validated_name_for(&mut self, domain: &str, depth: u32) -> Option<String> {
        if self.validated.is_none() {
            let names = self
                .validated_names(domain, depth, None)
                .await
                .unwrap_or_default();
            self.validated = Some(names);
        }
        let names = self.validated.as_deref().unwrap_or(&[]);
        let suffix = format!(".{}", domain.to_ascii_lowercase());
        names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(domain))
            .or_else(|| names.iter().find(|n| n.ends_with(&suffix)))
            .or_else(|| names.first())
            .cloned()
    }

    /// PTR names of the client that resolve back to it (§5.5); at most `max_mx_or_ptr_names`
    /// names are considered. With `target` (the `ptr` mechanism) only names equal to or under
    /// it are validated, and a void PTR answer counts as a void lookup.
    async fn validated_names(
        &mut self,
        domain: &str,
        depth: u32,
        target: Option<&str>,
    ) -> Result<Vec<String>, Abort> {
        let reverse = macros::reverse_name(self.ip);
        let names: Vec<String> = match self.query(depth, domain, &reverse, RecordType::Ptr).await? {
            Answer::Records(records) => records
                .iter()
                .filter_map(|r| match r {
                    Rdata::Ptr(name) => Some(normalize_name(name)),
                    _ => None,
                })
                .take(self.max_names())
                .collect(),
            Answer::NxDomain | Answer::NoData => {
                if target.is_some() {
                    self.count_void(depth, domain, &reverse)?;
                }
                return Ok(Vec::new());
            }
            // §5.5: a PTR lookup error means no match.
            Answer::Failure(_) => return Ok(Vec::new()),
        };
        let target = target.map(normalize_name);
        let rtype = self.address_type();
        let mut validated = Vec::new();
        for name in names {
            if let Some(t) = &target
                && !(name == *t || name.ends_with(&format!(".{t}")))
            {
                continue;
            }
            if !is_valid_query_name(&name) {
                continue;
            }
            // §5.5: errors while validating skip the name.
            if let Answer::Records(records) = self.query(depth, domain, &name, rtype).await?
                && records.iter().any(|r| self.address_matches(r, 32, 128))
            {
                validated.push(name);
                if target.is_some() {
                    break;
                }
            }
        }
        Ok(validated)
    }

    /// Expand a target domain-spec; fills `%{p}` first when used.
    async fn expand_target(
        &mut self,
        domain: &str,
        depth: u32,
        spec: &MacroString,
    ) -> Result<String, Abort> {
        let validated = if macros::uses_validated_name(spec) {
            self.validated_name_for(domain, depth).await
        } else {
            None
        };
        macros::expand_domain(spec, &self.env(domain, validated.as_deref()))
            .map_err(|e| Abort::Perm(format!("{}: {e}", spec.raw)))
    }

    fn address_matches(&self, rdata: &Rdata, v4_prefix: u8, v6_prefix: u8) -> bool {
        match (self.ip, rdata) {
            (IpAddr::V4(ip), Rdata::A(addr)) => in_v4_network(ip, *addr, v4_prefix),
            (IpAddr::V6(ip), Rdata::Aaaa(addr)) => in_v6_network(ip, *addr, v6_prefix),
            _ => false,
        }
    }

    /// Records of `rtype` for `name`; `None` when there are none, which is a void lookup
    /// for every query a term makes, an MX host's address query too (§4.6.4).
    async fn addresses(
        &mut self,
        domain: &str,
        depth: u32,
        name: &str,
        rtype: RecordType,
    ) -> Result<Option<std::sync::Arc<[Rdata]>>, Abort> {
        match self.query(depth, domain, name, rtype).await? {
            Answer::Records(r) => Ok(Some(r)),
            Answer::NxDomain | Answer::NoData => {
                self.count_void(depth, domain, name)?;
                Ok(None)
            }
            Answer::Failure(DnsFailure {
                kind: FailureKind::InvalidName,
                ..
            }) => Ok(None),
            Answer::Failure(f) => Err(Abort::Temp(format!(
                "{rtype} lookup for {name} failed: {f}"
            ))),
        }
    }

    /// The target name of a mechanism, or `None` when it cannot be a DNS name
    /// (treated as non-existent: RFC 7208 leaves this open, the test suite accepts it).
    async fn target(
        &mut self,
        domain: &str,
        depth: u32,
        spec: Option<&MacroString>,
    ) -> Result<Option<String>, Abort> {
        let name = match spec {
            Some(spec) => self.expand_target(domain, depth, spec).await?,
            None => domain.to_string(),
        };
        if is_valid_query_name(&name) {
            Ok(Some(name))
        } else {
            self.step(
                depth,
                domain,
                format!("{name:?} is not a valid DNS name; treated as non-existent"),
            );
            Ok(None)
        }
    }

    async fn matches(
        &mut self,
        domain: &str,
        depth: u32,
        mechanism: &Mechanism,
    ) -> Result<bool, Abort> {
        match mechanism {
            Mechanism::All => Ok(true),
            Mechanism::Ip4 { addr, prefix } => {
                Ok(matches!(self.ip, IpAddr::V4(ip) if in_v4_network(ip, *addr, *prefix)))
            }
            Mechanism::Ip6 { addr, prefix } => {
                Ok(matches!(self.ip, IpAddr::V6(ip) if in_v6_network(ip, *addr, *prefix)))
            }
            Mechanism::A { domain: spec, cidr } => {
                self.count_lookup(depth, domain)?;
                let Some(name) = self.target(domain, depth, spec.as_ref()).await? else {
                    return Ok(false);
                };
                let rtype = self.address_type();
                Ok(self
                    .addresses(domain, depth, &name, rtype)
                    .await?
                    .is_some_and(|rs| rs.iter().any(|r| self.address_matches(r, cidr.v4, cidr.v6))))
            }
            Mechanism::Mx { domain: spec, cidr } => {
                self.count_lookup(depth, domain)?;
                let Some(name) = self.target(domain, depth, spec.as_ref()).await? else {
                    return Ok(false);
                };
                self.mx_matches(domain, depth, &name, cidr.v4, cidr.v6)
                    .await
            }
            Mechanism::Ptr(spec) => {
                self.count_lookup(depth, domain)?;
                let Some(name) = self.target(domain, depth, spec.as_ref()).await? else {
                    return Ok(false);
                };
                self.ptr_matches(domain, depth, &name).await
            }
            Mechanism::Exists(spec) => {
                self.count_lookup(depth, domain)?;
                let Some(name) = self.target(domain, depth, Some(spec)).await? else {
                    return Ok(false);
                };
                // §5.7: always an A query, whatever the client's address family.
                Ok(self
                    .addresses(domain, depth, &name, RecordType::A)
                    .await?
                    .is_some())
            }
            Mechanism::Include(spec) => {
                self.count_lookup(depth, domain)?;
                let target = self.expand_target(domain, depth, spec).await?;
                let inner = self.evaluate(target.clone(), depth + 1).await;
                // §5.2 table.
                match inner.result {
                    SpfResult::Pass => Ok(true),
                    SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral => Ok(false),
                    SpfResult::TempError => Err(Abort::Temp(format!(
                        "include:{target}: {}",
                        inner.problem.unwrap_or_default()
                    ))),
                    SpfResult::PermError => Err(Abort::Perm(format!(
                        "include:{target}: {}",
                        inner.problem.unwrap_or_default()
                    ))),
                    SpfResult::None => Err(Abort::Perm(format!(
                        "include:{target}: no SPF record there"
                    ))),
                }
            }
        }
    }

    async fn mx_matches(
        &mut self,
        domain: &str,
        depth: u32,
        name: &str,
        v4_prefix: u8,
        v6_prefix: u8,
    ) -> Result<bool, Abort> {
        let Some(records) = self.addresses(domain, depth, name, RecordType::Mx).await? else {
            return Ok(false);
        };
        let mut hosts: Vec<(u16, String)> = records
            .iter()
            .filter_map(|r| match r {
                Rdata::Mx {
                    preference,
                    exchange,
                } => Some((*preference, normalize_name(exchange))),
                _ => None,
            })
            // Null MX (RFC 7505) names no host.
            .filter(|(_, host)| !host.is_empty())
            .collect();
        if hosts.len() > self.max_names() {
            return Err(Abort::Perm(format!(
                "mx:{name} has {} MX records; at most {} may be looked up (§4.6.4)",
                hosts.len(),
                self.options.max_mx_or_ptr_names
            )));
        }
        hosts.sort_by_key(|(preference, _)| *preference);
        let rtype = self.address_type();
        for (_, host) in hosts {
            if !is_valid_query_name(&host) {
                continue;
            }
            // An MX host without an address is a void lookup like any other (§4.6.4).
            if let Some(rs) = self.addresses(domain, depth, &host, rtype).await?
                && rs
                    .iter()
                    .any(|r| self.address_matches(r, v4_prefix, v6_prefix))
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn ptr_matches(&mut self, domain: &str, depth: u32, target: &str) -> Result<bool, Abort> {
        Ok(!self
            .validated_names(domain, depth, Some(target))
            .await?
            .is_empty())
    }

    /// The explanation for a fail (§6.2); `None` means "use the default".
    async fn explanation(&mut self, (domain, spec): (String, MacroString)) -> Option<String> {
        let depth = 0;
        let name = match self.expand_target(&domain, depth, &spec).await {
            Ok(n) => n,
            Err(abort) => {
                self.step(
                    depth,
                    &domain,
                    format!("exp= ignored: {}", abort.into_message()),
                );
                return None;
            }
        };
        if !is_valid_query_name(&name) {
            self.step(
                depth,
                &domain,
                format!("exp= ignored: {name:?} is not a DNS name"),
            );
            return None;
        }
        let answer = self
            .query(depth, &domain, &name, RecordType::Txt)
            .await
            .ok()?;
        let texts: Vec<Vec<u8>> = answer
            .records()
            .iter()
            .filter_map(Rdata::txt_joined)
            .collect();
        let [text] = texts.as_slice() else {
            self.step(
                depth,
                &domain,
                format!("exp= ignored: {} TXT records at {name}", texts.len()),
            );
            return None;
        };
        let Some(text) = std::str::from_utf8(text).ok().filter(|t| t.is_ascii()) else {
            self.step(
                depth,
                &domain,
                "exp= ignored: explanation is not ASCII".to_string(),
            );
            return None;
        };
        let parsed = match macros::parse_explanation(text) {
            Ok(p) => p,
            Err(e) => {
                self.step(depth, &domain, format!("exp= ignored: {e}"));
                return None;
            }
        };
        let validated = if macros::uses_validated_name(&parsed) {
            self.validated_name_for(&domain, depth).await
        } else {
            None
        };
        let env = self.env(&domain, validated.as_deref());
        macros::expand(&parsed, &env, MacroContext::Explanation).ok()
    }
}

fn in_v4_network(ip: Ipv4Addr, net: Ipv4Addr, prefix: u8) -> bool {
    let mask = u32::MAX
        .checked_shl(32 - u32::from(prefix.min(32)))
        .unwrap_or(0);
    u32::from(ip) & mask == u32::from(net) & mask
}

fn in_v6_network(ip: Ipv6Addr, net: Ipv6Addr, prefix: u8) -> bool {
    let mask = u128::MAX
        .checked_shl(128 - u32::from(prefix.min(128)))
        .unwrap_or(0);
    u128::from(ip) & mask == u128::from(net) & mask
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::ZoneSet;

    fn zones(records: &[(&str, &str)]) -> ZoneSet {
        let mut z = ZoneSet::new();
        for (owner, txt) in records {
            z.insert(owner, Rdata::Txt(vec![txt.as_bytes().to_vec()]));
        }
        z
    }

    fn input(ip: &str, mail_from: &str) -> CheckHostInput {
        CheckHostInput::mail_from(ip.parse().unwrap(), mail_from, "mail.example.org")
    }

    async fn run(z: ZoneSet, ip: &str, mail_from: &str) -> CheckHostOutcome {
        run_with(z, ip, mail_from, &CheckHostOptions::default()).await
    }

    async fn run_with(
        z: ZoneSet,
        ip: &str,
        mail_from: &str,
        options: &CheckHostOptions,
    ) -> CheckHostOutcome {
        let started = Instant::now();
        let out = check_host(&Resolver::offline(z), &input(ip, mail_from), options).await;
        assert!(started.elapsed() < Duration::from_secs(5), "too slow");
        out
    }

    /// `mx` whose only host has no address, then two void `a` terms: three void lookups,
    /// permerror (§4.6.4; pyspf agrees). With one void `a` term, two voids: fail.
    #[tokio::test]
    async fn an_mx_host_without_an_address_is_a_void_lookup() {
        for (record, result, voids) in [
            (
                "v=spf1 mx a:nx1.example.com a:nx2.example.com -all",
                SpfResult::PermError,
                3,
            ),
            ("v=spf1 mx a:nx1.example.com -all", SpfResult::Fail, 2),
        ] {
            let mut z = zones(&[("example.com", record), ("mx.example.com", "no address")]);
            z.insert(
                "example.com",
                Rdata::Mx {
                    preference: 10,
                    exchange: "mx.example.com".into(),
                },
            );
            let out = run(z, "192.0.2.1", "a@example.com").await;
            assert_eq!(out.result, result, "{record}");
            assert_eq!(out.void_lookups, voids, "{record}");
            assert!(
                out.trace
                    .iter()
                    .any(|s| s.event == "void lookup 1 for mx.example.com"),
                "{record}"
            );
        }
    }

    #[tokio::test]
    async fn outcome_fields() {
        let mut z = zones(&[
            (
                "example.com",
                "v=spf1 a:nothing.example.com include:_spf.example.net -all exp=why.example.com",
            ),
            ("_spf.example.net", "v=spf1 ip4:192.0.2.0/24 -all"),
            ("why.example.com", "%{i} may not send for %{d} (%{c}, %{r})"),
        ]);
        z.insert("example.com", Rdata::A(Ipv4Addr::new(203, 0, 113, 1)));
        let options = CheckHostOptions {
            receiver: "mx.example.net".into(),
            ..CheckHostOptions::default()
        };
        let pass = run_with(z.clone(), "192.0.2.7", "a@example.com", &options).await;
        assert_eq!(pass.result, SpfResult::Pass);
        assert_eq!(pass.lookups, 2);
        assert_eq!(pass.void_lookups, 1);
        assert_eq!(pass.explanation, None);
        let term = pass.deciding_term.unwrap();
        assert_eq!(term.term, "include:_spf.example.net");
        assert_eq!(term.domain, "example.com");
        assert_eq!(term.span, Span { start: 29, end: 53 });
        assert!(pass.trace.iter().any(|s| s.depth == 1
            && s.domain == "_spf.example.net"
            && s.event == "ip4:192.0.2.0/24: match"));
        assert!(
            pass.trace
                .iter()
                .any(|s| s.event == "dns A nothing.example.com -> NXDOMAIN")
        );

        let fail = run_with(z.clone(), "198.51.100.9", "a@example.com", &options).await;
        assert_eq!(fail.result, SpfResult::Fail);
        assert_eq!(fail.deciding_term.unwrap().term, "-all");
        assert_eq!(
            fail.explanation.as_deref(),
            Some("198.51.100.9 may not send for example.com (198.51.100.9, mx.example.net)")
        );

        // IPv4-mapped IPv6 clients are IPv4 clients (§5).
        let mapped = run_with(z, "::ffff:192.0.2.7", "a@example.com", &options).await;
        assert_eq!(mapped.result, SpfResult::Pass);
    }

    #[tokio::test]
    async fn errors_explain_themselves() {
        let z = zones(&[
            ("syntax.example", "v=spf1 ip4:192.0.2.1 -all moo"),
            ("inc.example", "v=spf1 include:syntax.example -all"),
            ("none.example", "v=spf1 include:nothing.example -all"),
        ]);
        let out = run(z.clone(), "192.0.2.1", "x@syntax.example").await;
        assert_eq!(out.result, SpfResult::PermError);
        assert!(out.problem.as_deref().unwrap().contains("moo"));
        assert_eq!(out.deciding_term.unwrap().span, Span { start: 26, end: 29 });
        let out = run(z.clone(), "192.0.2.1", "x@inc.example").await;
        assert_eq!(out.result, SpfResult::PermError);
        assert!(
            out.problem
                .as_deref()
                .unwrap()
                .contains("include:syntax.example")
        );
        assert_eq!(out.deciding_term.unwrap().term, "include:syntax.example");
        let out = run(z, "192.0.2.1", "x@none.example").await;
        assert_eq!(out.result, SpfResult::PermError);
        let mut z = ZoneSet::new();
        z.insert_timeout("slow.example");
        let out = run(z, "192.0.2.1", "x@slow.example").await;
        assert_eq!(out.result, SpfResult::TempError);
        assert!(out.problem.is_some());
    }

    #[tokio::test]
    async fn hostile_records_finish_fast() {
        // Loops through include and redirect.
        let z = zones(&[
            ("loop.example", "v=spf1 include:loop.example -all"),
            ("redir.example", "v=spf1 redirect=redir.example"),
            ("p.example", "v=spf1 redirect=%{d}"),
        ]);
        for domain in ["loop.example", "redir.example", "p.example"] {
            let out = run(z.clone(), "192.0.2.1", &format!("x@{domain}")).await;
            assert_eq!(out.result, SpfResult::PermError, "{domain}");
            assert_eq!(out.lookups, 11, "{domain}");
        }
        // Even with the limits lifted, nesting and total work stay bounded.
        let lifted = CheckHostOptions {
            max_lookups: u32::MAX,
            max_void_lookups: u32::MAX,
            ..CheckHostOptions::default()
        };
        let out = run_with(z.clone(), "192.0.2.1", "x@loop.example", &lifted).await;
        assert_eq!(out.result, SpfResult::PermError);
        assert!(out.problem.unwrap().contains("nested"));

        // Thousands of terms in a 64 KB record.
        let many_includes = format!("v=spf1 {}-all", "include:x.example ".repeat(3600));
        let many_ip4 = format!("v=spf1 {}-all", "ip4:198.51.100.1 ".repeat(3800));
        let many_exists = format!(
            "v=spf1 {}-all",
            format!("exists:{}.x ", "%{s}".repeat(16)).repeat(850)
        );
        assert!(
            [&many_includes, &many_ip4, &many_exists]
                .iter()
                .all(|r| r.len() > 60_000)
        );
        let mut z = ZoneSet::new();
        for (owner, txt) in [
            ("inc.example", &many_includes),
            ("ip4.example", &many_ip4),
            ("exists.example", &many_exists),
        ] {
            // Published as 255-octet strings, as DNS would carry it.
            let strings = txt.as_bytes().chunks(255).map(<[u8]>::to_vec).collect();
            z.insert(owner, Rdata::Txt(strings));
        }
        z.insert("x.example", Rdata::Txt(vec![b"v=spf1 -all".to_vec()]));
        let out = run(z.clone(), "192.0.2.1", "x@inc.example").await;
        assert_eq!(out.result, SpfResult::PermError);
        let out = run(z.clone(), "192.0.2.1", "x@ip4.example").await;
        assert_eq!(out.result, SpfResult::Fail);
        let out = run_with(
            z.clone(),
            "192.0.2.1",
            &format!("{}@exists.example", "l".repeat(5000)),
            &lifted,
        )
        .await;
        assert_eq!(out.result, SpfResult::PermError);
        assert!(out.problem.unwrap().contains("expansion"));

        // A time limit already used up gives temperror, not a hang.
        let out = run_with(
            z,
            "192.0.2.1",
            "x@inc.example",
            &CheckHostOptions {
                time_limit: Some(Duration::ZERO),
                ..CheckHostOptions::default()
            },
        )
        .await;
        assert_eq!(out.result, SpfResult::TempError);
    }

    #[tokio::test]
    async fn odd_identities_do_not_panic() {
        let z = zones(&[(
            "example.com",
            "v=spf1 a:%{l}.%{h}.%{o}.example.com exists:%{S}.%{H}.example.com -all exp=%{L}.example.com",
        )]);
        for (mail_from, helo) in [
            ("é@example.com", "hélo"),
            ("\0@example.com", "\0"),
            ("@", ""),
            ("", ""),
            ("x@", "example.com"),
            ("@@example.com", "[::1]"),
        ] {
            let input = CheckHostInput {
                ip: "2001:db8::1".parse().unwrap(),
                domain: "example.com".into(),
                sender: mail_from.into(),
                helo: helo.into(),
            };
            let out = check_host(
                &Resolver::offline(z.clone()),
                &input,
                &CheckHostOptions::default(),
            )
            .await;
            assert_eq!(out.result, SpfResult::Fail, "{mail_from:?} {helo:?}");
            let _ = check_host(
                &Resolver::offline(z.clone()),
                &CheckHostInput::mail_from(input.ip, mail_from, helo),
                &CheckHostOptions::default(),
            )
            .await;
        }
    }

    #[test]
    fn check_host_future_is_send() {
        fn assert_send<T: Send>(_: &T) {}
        let resolver = Resolver::offline(ZoneSet::new());
        let input = input("192.0.2.1", "x@example.com");
        let options = CheckHostOptions::default();
        assert_send(&check_host(&resolver, &input, &options));
        assert_send(&crate::spf::fetch_spf_record(&resolver, "example.com"));
    }

    #[test]
    fn networks() {
        let ip = Ipv4Addr::new(192, 0, 2, 77);
        assert!(in_v4_network(ip, Ipv4Addr::new(192, 0, 2, 0), 24));
        assert!(!in_v4_network(ip, Ipv4Addr::new(192, 0, 3, 0), 24));
        assert!(in_v4_network(ip, Ipv4Addr::new(1, 1, 1, 1), 0));
        assert!(in_v4_network(ip, ip, 32));
        let ip6: Ipv6Addr = "2001:db8::1".parse().unwrap();
        assert!(in_v6_network(ip6, "2001:db8::".parse().unwrap(), 32));
        assert!(!in_v6_network(ip6, "2001:db9::".parse().unwrap(), 32));
        assert!(in_v6_network(ip6, Ipv6Addr::UNSPECIFIED, 0));
    }

    #[test]
    fn initial_processing() {
        assert_eq!(malformed_domain("example.com"), None);
        assert_eq!(malformed_domain("foo:bar/baz.example.com"), None);
        assert!(malformed_domain("A2345678").is_some());
        assert!(malformed_domain("[1.2.3.5]").is_some());
        assert!(malformed_domain("a...example.com").is_some());
        assert!(malformed_domain(&format!("{}.com", "a".repeat(64))).is_some());
        assert!(malformed_domain(&format!("{}.com", "a".repeat(63))).is_none());
        assert!(malformed_domain("1.2.3.4").is_some());
    }

    #[test]
    fn sender_substitutions() {
        assert_eq!(
            split_sender("", "mail.example.net"),
            (
                "postmaster@mail.example.net".into(),
                "postmaster".into(),
                "mail.example.net".into()
            )
        );
        assert_eq!(
            split_sender("@example.net", "h"),
            (
                "postmaster@example.net".into(),
                "postmaster".into(),
                "example.net".into()
            )
        );
        assert_eq!(
            split_sender("Macro Error@e8.example.com", "h"),
            (
                "Macro Error@e8.example.com".into(),
                "Macro Error".into(),
                "e8.example.com".into()
            )
        );
        let helo = CheckHostInput::helo_identity("192.0.2.1".parse().unwrap(), "mx.example.org.");
        assert_eq!(helo.domain, "mx.example.org");
        assert_eq!(helo.sender, "");
        assert_eq!(SpfResult::SoftFail.as_str(), "softfail");
        assert_eq!(
            serde_json::to_string(&SpfResult::PermError).unwrap(),
            "\"permerror\""
        );
    }
}
