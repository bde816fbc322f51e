//! Static audit of a domain's published SPF policy: the whole include/redirect tree, counted
//! as receivers count it (RFC 7208 §4.6.4).

use crate::dns::rules::audit_inconclusive;
use crate::dns::{Answer, Rdata, RecordType, Resolver};
use crate::finding::{Finding, Location, Severity};
use crate::rules::{RuleId, Rules, Threshold};
use crate::spf::lookup::{SpfFetch, fetch_spf_record};
use crate::spf::parser;
use crate::spf::rules::{
    DEPRECATED_RR, INCLUDE_LOOP, INCLUDE_MISSING, LOOKUP_LIMIT, LOOKUP_LIMIT_MAX,
    LOOKUP_LIMIT_WARN_FROM, MISSING, MULTIPLE_RECORDS, MX_LIMIT, MX_LIMIT_MAX, PERMISSIVE_ALL,
    PTR_MECHANISM, RECORD_SIZE, RECORD_SIZE_MAX_RECORD_OCTETS, RECORD_SIZE_MAX_STRING_OCTETS,
    REDIRECT_IGNORED, SYNTAX, VOID_LOOKUP_LIMIT, VOID_LOOKUP_LIMIT_MAX,
};
use crate::spf::{MacroString, Mechanism, Modifier, Qualifier, SpfRecord, Term, TermKind};
use serde::Serialize;

/// A hostile tree (thousands of includes) stops being expanded after this many records; the
/// lookup count is then already far past any limit.
const MAX_RECORDS_VISITED: usize = 200;
/// Deeper than any real tree; receivers stop far earlier because of the lookup limit.
const MAX_DEPTH: usize = 20;

/// What the audit measured: the facts a dashboard charts.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct SpfFacts {
    /// The domain's own record, as published (strings joined).
    pub record: Option<String>,
    /// DNS-querying terms over the whole tree (include, a, mx, ptr, exists, redirect).
    pub lookup_count: u32,
    /// Lookups in the tree that returned NXDOMAIN or no data.
    pub void_lookup_count: u32,
    /// Every record in the tree, root first, in evaluation order.
    pub tree: Vec<SpfTreeNode>,
    /// The qualifier of the `all` that ends the effective policy, if any (`+`, `-`, `~`, `?`).
    pub all: Option<String>,
    /// Whether the tree could not be walked completely (DNS failures, too large).
    pub incomplete: bool,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SpfTreeNode {
    pub domain: String,
    pub depth: u32,
    /// `root`, `include` or `redirect`.
    pub via: &'static str,
    pub record: Option<String>,
    pub lookups: u32,
}

/// What the SPF policy audit found.
pub type SpfAudit = crate::finding::Audit<SpfFacts>;

/// Audit the SPF policy published by `domain`.
pub async fn audit_spf(resolver: &Resolver, rules: &Rules, domain: &str) -> SpfAudit {
    let mut walk = TreeWalk {
        resolver,
        rules,
        target: domain.to_string(),
        audit: SpfAudit::default(),
        stack: Vec::new(),
        visited: 0,
    };
    walk.deprecated_rr(domain).await;
    walk.visit(domain, Via::Root, true).await;
    walk.limits();
    walk.audit
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Via {
    Root,
    Include,
    Redirect,
}

impl Via {
    fn as_str(self) -> &'static str {
        match self {
            Via::Root => "root",
            Via::Include => "include",
            Via::Redirect => "redirect",
        }
    }
}

struct TreeWalk<'a> {
    resolver: &'a Resolver,
    rules: &'a Rules,
    target: String,
    audit: SpfAudit,
    /// The include/redirect path from the root to the record being walked.
    stack: Vec<String>,
    visited: usize,
}

impl TreeWalk<'_> {
    fn push(&mut self, finding: Finding) {
        self.audit.findings.push(finding);
    }

    fn finding(&self, rule: RuleId, message: impl Into<String>) -> Finding {
        self.rules
            .finding(rule, &self.target, message)
            .with_chain(self.stack.clone())
    }

    fn inconclusive(&mut self, query: String, why: &crate::dns::DnsFailure) {
        self.audit.facts.incomplete = true;
        let f = audit_inconclusive(self.rules, &self.target, query, why, "SPF audit")
            .with_chain(self.stack.clone());
        self.push(f);
    }

    async fn deprecated_rr(&mut self, domain: &str) {
        match self.resolver.lookup(domain, RecordType::Spf).await {
            Answer::Records(records) if !records.is_empty() => {
                let text = records
                    .iter()
                    .filter_map(|r| r.txt_joined())
                    .map(|t| String::from_utf8_lossy(&t).into_owned())
                    .next()
                    .unwrap_or_default();
                let f = self
                    .finding(
                        DEPRECATED_RR,
                        format!("{domain} publishes a type-99 SPF record; receivers only read TXT"),
                    )
                    .with_record(text);
                self.push(f);
            }
            // A server that refuses type 99 tells us nothing about SPF: not worth a finding.
            _ => {}
        }
    }

    /// Visit the record of `domain`. Returns false when the target has no usable record.
    async fn visit(&mut self, domain: &str, via: Via, policy_root: bool) -> bool {
        if self.stack.len() >= MAX_DEPTH || self.visited >= MAX_RECORDS_VISITED {
            self.audit.facts.incomplete = true;
            return true;
        }
        self.visited += 1;
        let fetch = fetch_spf_record(self.resolver, domain).await;
        let (bytes, strings) = match fetch {
            SpfFetch::Found { record, strings } => (record, strings),
            SpfFetch::Failure(why) => {
                self.inconclusive(format!("TXT {domain}"), &why);
                return true;
            }
            SpfFetch::NotFound { nxdomain } => {
                if via == Via::Root {
                    let f =
                        self.finding(MISSING, format!("{domain} publishes no v=spf1 TXT record"));
                    self.push(f);
                } else {
                    // The target's TXT query was void when the name is missing or has no TXT.
                    let void = nxdomain
                        || self.resolver.lookup(domain, RecordType::Txt).await == Answer::NoData;
                    self.audit.facts.void_lookup_count += u32::from(void);
                    let what = if nxdomain {
                        "does not exist"
                    } else {
                        "has no SPF record"
                    };
                    let f = self.finding(
                        INCLUDE_MISSING,
                        format!(
                            "{} target {domain} {what}: receivers return permerror",
                            via.as_str()
                        ),
                    );
                    self.push(f);
                }
                return false;
            }
            SpfFetch::Multiple(records) => {
                // DNS gives an RRset in no fixed order: sort for a stable report.
                let mut shown: Vec<String> = records
                    .iter()
                    .map(|r| String::from_utf8_lossy(r).into_owned())
                    .collect();
                shown.sort();
                let f = self
                    .finding(
                        MULTIPLE_RECORDS,
                        format!(
                            "{domain} publishes {} v=spf1 records; receivers return permerror",
                            records.len()
                        ),
                    )
                    .with_record(shown.join(" | "))
                    .with_measured(records.len());
                self.push(f);
                return true;
            }
        };
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if via == Via::Root {
            self.audit.facts.record = Some(text.clone());
        }
        self.record_size(domain, via, &text, &strings).await;
        let node_index = self.audit.facts.tree.len();
        self.audit.facts.tree.push(SpfTreeNode {
            domain: domain.to_string(),
            depth: self.stack.len() as u32,
            via: via.as_str(),
            record: Some(text.clone()),
            lookups: 0,
        });
        let record = match parser::parse(&bytes) {
            Ok(record) => record,
            Err(e) => {
                let f = self
                    .finding(
                        SYNTAX,
                        format!("SPF record of {domain} does not parse: {}", e.message),
                    )
                    .with_record(text)
                    .at(Location::RecordSpan {
                        record: domain.to_string(),
                        start: e.span.start,
                        end: e.span.end,
                    });
                self.push(f);
                return true;
            }
        };
        self.stack.push(domain.to_string());
        let before = self.audit.facts.lookup_count;
        self.walk_terms(domain, &record, policy_root).await;
        self.audit.facts.tree[node_index].lookups = self.audit.facts.lookup_count - before;
        self.stack.pop();
        true
    }

    async fn record_size(&mut self, domain: &str, via: Via, text: &str, strings: &[Vec<u8>]) {
        let max_string = self.threshold(RECORD_SIZE_MAX_STRING_OCTETS);
        let max_record = self.threshold(RECORD_SIZE_MAX_RECORD_OCTETS);
        if let Some(long) = strings.iter().find(|s| s.len() as f64 > max_string) {
            let f = self
                .finding(
                    RECORD_SIZE,
                    format!(
                        "a TXT string of {domain}'s SPF record is {} octets, over {max_string}: it must be split into several strings",
                        long.len()
                    ),
                )
                .with_record(text)
                .with_measured(long.len())
                .with_threshold(max_string);
            self.push(f);
        }
        // §3.4 sizes the whole answer: the name plus the text of every TXT record there. Only
        // the domain's own answer: an oversized provider record is the provider's to fix.
        if via != Via::Root {
            return;
        }
        let answer = self.resolver.lookup(domain, RecordType::Txt).await;
        let all_txt: usize = answer
            .records()
            .iter()
            .filter_map(|r| r.txt_joined())
            .map(|t| t.len())
            .sum();
        let size = domain.len() + all_txt.max(text.len());
        if size as f64 > max_record {
            let others = if all_txt > text.len() {
                format!(
                    " ({} of them in its other TXT records)",
                    all_txt - text.len()
                )
            } else {
                String::new()
            };
            let f = self
                .finding(
                    RECORD_SIZE,
                    format!(
                        "the TXT answer for {domain} is {size} octets (name and all TXT records){others}, over {max_record}: it may not fit in one UDP packet"
                    ),
                )
                .with_record(text)
                .with_measured(size)
                .with_threshold(max_record);
            self.push(f);
        }
    }

    fn threshold(&self, threshold: Threshold) -> f64 {
        self.rules.threshold(threshold)
    }

    fn span_of(domain: &str, term: &Term) -> Location {
        Location::RecordSpan {
            record: domain.to_string(),
            start: term.span.start,
            end: term.span.end,
        }
    }

    async fn walk_terms(&mut self, domain: &str, record: &SpfRecord, policy_root: bool) {
        let term_text = |t: &Term| {
            record
                .text
                .get(t.span.start..t.span.end)
                .unwrap_or("")
                .to_string()
        };
        let mut all: Option<(&Term, Qualifier)> = None;
        let mut redirect: Option<(&Term, &MacroString)> = None;
        for term in &record.terms {
            match &term.kind {
                TermKind::Modifier(Modifier::Redirect(target)) => redirect = Some((term, target)),
                TermKind::Modifier(_) => {}
                TermKind::Directive {
                    qualifier,
                    mechanism,
                    ..
                } => {
                    if mechanism.counts_as_lookup() {
                        self.audit.facts.lookup_count += 1;
                    }
                    match mechanism {
                        Mechanism::All => {
                            if all.is_none() {
                                all = Some((term, *qualifier));
                            }
                            if *qualifier == Qualifier::Pass {
                                let f = self
                                    .finding(
                                        PERMISSIVE_ALL,
                                        format!(
                                            "SPF record of {domain} ends in `{}`: every host on the internet passes",
                                            term_text(term)
                                        ),
                                    )
                                    .with_record(&record.text)
                                    .at(Self::span_of(domain, term));
                                self.push(f);
                            }
                        }
                        Mechanism::Include(target) => {
                            if let Some(target) = literal_domain(target) {
                                if self.stack.contains(&target) {
                                    self.include_loop(domain, record, term, &target);
                                } else {
                                    Box::pin(self.visit(&target, Via::Include, false)).await;
                                }
                            }
                        }
                        Mechanism::A { domain: spec, .. } => {
                            let name = spec
                                .as_ref()
                                .map_or(Some(domain.to_string()), literal_domain);
                            if let Some(name) = name {
                                self.address_lookup(&name).await;
                            }
                        }
                        Mechanism::Mx { domain: spec, .. } => {
                            let name = spec
                                .as_ref()
                                .map_or(Some(domain.to_string()), literal_domain);
                            if let Some(name) = name {
                                self.mx_lookup(domain, record, term, &name).await;
                            }
                        }
                        Mechanism::Exists(spec) => {
                            if let Some(name) = literal_domain(spec) {
                                self.exists_lookup(&name).await;
                            }
                        }
                        Mechanism::Ptr(_) => {
                            let f = self
                                .finding(
                                    PTR_MECHANISM,
                                    format!(
                                        "SPF record of {domain} uses `{}`, which RFC 7208 deprecates: it is slow, unreliable, and some receivers skip it",
                                        term_text(term)
                                    ),
                                )
                                .with_record(&record.text)
                                .at(Self::span_of(domain, term));
                            self.push(f);
                        }
                        Mechanism::Ip4 { .. } | Mechanism::Ip6 { .. } => {}
                    }
                }
            }
        }
        if let Some((redirect_term, target)) = redirect {
            if let Some((all_term, _)) = all {
                let f = self
                    .finding(
                        REDIRECT_IGNORED,
                        format!(
                            "SPF record of {domain} has both `{}` and `{}`: the redirect is never followed",
                            term_text(all_term),
                            term_text(redirect_term)
                        ),
                    )
                    .with_record(&record.text)
                    .at(Self::span_of(domain, redirect_term));
                self.push(f);
            } else {
                self.audit.facts.lookup_count += 1;
                if let Some(target) = literal_domain(target) {
                    if self.stack.contains(&target) {
                        self.include_loop(domain, record, redirect_term, &target);
                    } else {
                        Box::pin(self.visit(&target, Via::Redirect, policy_root)).await;
                    }
                }
                return;
            }
        }
        if policy_root {
            self.policy_all(domain, record, all);
        }
    }

    /// The effective policy's `all`: `?all` or no `all` at all leaves unlisted hosts neutral.
    fn policy_all(&mut self, domain: &str, record: &SpfRecord, all: Option<(&Term, Qualifier)>) {
        match all {
            Some((_, q)) => {
                self.audit.facts.all = Some(q.symbol().to_string());
                if q == Qualifier::Neutral {
                    let term = all.map(|(t, _)| t);
                    let mut f = self
                        .finding(
                            PERMISSIVE_ALL,
                            format!(
                                "SPF record of {domain} ends in `?all`: hosts it does not list get neutral, which protects nothing"
                            ),
                        )
                        .with_severity(Severity::Warning)
                        .with_record(&record.text);
                    if let Some(term) = term {
                        f = f.at(Self::span_of(domain, term));
                    }
                    self.push(f);
                }
            }
            None => {
                let f = self
                    .finding(
                        PERMISSIVE_ALL,
                        format!(
                            "SPF record of {domain} has no `all` and no `redirect=`: hosts it does not list get neutral"
                        ),
                    )
                    .with_severity(Severity::Warning)
                    .with_record(&record.text);
                self.push(f);
            }
        }
    }

    fn include_loop(&mut self, domain: &str, record: &SpfRecord, term: &Term, target: &str) {
        let mut chain = self.stack.clone();
        chain.push(target.to_string());
        let f = self
            .finding(
                INCLUDE_LOOP,
                format!(
                    "SPF of {domain} includes {target}, which is already on the path {}: receivers return permerror",
                    chain.join(" -> ")
                ),
            )
            .with_chain(chain)
            .with_record(&record.text)
            .at(Self::span_of(domain, term));
        self.push(f);
    }

    /// Count a void lookup, or report a failure. Returns the answer's records when it has some.
    fn note_answer(&mut self, query: String, answer: &Answer) -> bool {
        match answer {
            Answer::Records(r) if !r.is_empty() => true,
            Answer::Failure(why) => {
                self.inconclusive(query, why);
                false
            }
            _ => {
                self.audit.facts.void_lookup_count += 1;
                false
            }
        }
    }

    async fn address_lookup(&mut self, name: &str) {
        // `a` asks for the sender's address family only; the domain must have one of the two.
        let a = self.resolver.lookup(name, RecordType::A).await;
        if matches!(a, Answer::Records(_)) {
            return;
        }
        let aaaa = self.resolver.lookup(name, RecordType::Aaaa).await;
        if matches!(aaaa, Answer::Records(_)) {
            return;
        }
        if let Answer::Failure(why) = &a {
            self.inconclusive(format!("A {name}"), why);
            return;
        }
        self.note_answer(format!("AAAA {name}"), &aaaa);
    }

    async fn exists_lookup(&mut self, name: &str) {
        let answer = self.resolver.lookup(name, RecordType::A).await;
        self.note_answer(format!("A {name}"), &answer);
    }

    async fn mx_lookup(&mut self, domain: &str, record: &SpfRecord, term: &Term, name: &str) {
        let answer = self.resolver.lookup(name, RecordType::Mx).await;
        if !self.note_answer(format!("MX {name}"), &answer) {
            return;
        }
        let hosts = answer.records().len();
        let max = self.threshold(MX_LIMIT_MAX);
        if hosts as f64 > max {
            let f = self
                .finding(
                    MX_LIMIT,
                    format!(
                        "`mx` in the SPF record of {domain} names {name}, which has {hosts} MX hosts; receivers look up at most {max} and return permerror"
                    ),
                )
                .with_record(&record.text)
                .with_measured(hosts)
                .with_threshold(max)
                .at(Self::span_of(domain, term));
            self.push(f);
            return;
        }
        // A receiver whose sender matched no host looked up every host's address: a host
        // without one is a void lookup (§4.6.4). Null MX (RFC 7505) names no host.
        let hosts: Vec<String> = answer
            .records()
            .iter()
            .filter_map(|r| match r {
                Rdata::Mx { exchange, .. } => Some(crate::dns::normalize_name(exchange)),
                _ => None,
            })
            .filter(|host| !host.is_empty())
            .collect();
        for host in hosts {
            self.address_lookup(&host).await;
        }
    }

    fn limits(&mut self) {
        let facts = &self.audit.facts;
        let lookups = facts.lookup_count;
        let voids = facts.void_lookup_count;
        let record = facts.record.clone();
        let max = self.threshold(LOOKUP_LIMIT_MAX);
        let warn_from = self.threshold(LOOKUP_LIMIT_WARN_FROM);
        let lookup_finding = if f64::from(lookups) > max {
            Some(self.finding(
                LOOKUP_LIMIT,
                format!(
                    "SPF of {} needs {lookups} DNS lookups over its include tree; receivers stop at {max} and return permerror",
                    self.target
                ),
            ))
        } else if f64::from(lookups) >= warn_from {
            Some(
                self.finding(
                    LOOKUP_LIMIT,
                    format!(
                        "SPF of {} needs {lookups} DNS lookups over its include tree, close to the limit of {max}",
                        self.target
                    ),
                )
                .with_severity(Severity::Warning),
            )
        } else {
            None
        };
        if let Some(f) = lookup_finding {
            let mut f = f
                .with_measured(lookups)
                .with_threshold(max)
                .with_chain(vec![]);
            if let Some(r) = &record {
                f = f.with_record(r);
            }
            self.push(f);
        }
        let max_void = self.threshold(VOID_LOOKUP_LIMIT_MAX);
        if f64::from(voids) > max_void {
            let mut f = self
                .finding(
                    VOID_LOOKUP_LIMIT,
                    format!(
                        "SPF of {} makes {voids} lookups that return no answer; receivers allow {max_void} and return permerror",
                        self.target
                    ),
                )
                .with_measured(voids)
                .with_threshold(max_void)
                .with_chain(vec![]);
            if let Some(r) = &record {
                f = f.with_record(r);
            }
            self.push(f);
        }
    }
}

/// The domain a domain-spec names, when it has no macro (a macro depends on the sender).
fn literal_domain(spec: &MacroString) -> Option<String> {
    if !spec.is_literal() {
        return None;
    }
    let name = crate::dns::normalize_name(&spec.raw);
    (!name.is_empty()).then_some(name)
}
