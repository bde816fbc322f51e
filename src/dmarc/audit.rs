//! The DMARC audit of one domain: policy discovery (RFC 7489 §6.6.3, falling back to the
//! organizational domain), the record's syntax and policy, and the authorization of
//! external report destinations (§7.1).

use super::discovery::{Discovery, DiscoveryError, Question, discover_policy};
use super::record::{
    Alignment, BisNote, DmarcRecord, Effect, Outcome, Policy, Problem, ProblemKind, Reading,
    has_valid_version, looks_like_dmarc,
};
use crate::dmarc::rules::{
    INHERITED, MISSING, MULTIPLE_RECORDS, NO_REPORTS, PCT_PARTIAL, POLICY_NONE, RECEIVERS_DISAGREE,
    REPORT_UNAUTHORIZED, REPORT_UNDELIVERABLE, SUBDOMAIN_WEAKER, SYNTAX, TAG_REMOVED,
};
use crate::dns::orgdomain::{organizational_domain, same_organization};
use crate::dns::rules::{INCONCLUSIVE, audit_inconclusive};
use crate::dns::{Answer, DnsFailure, FailureKind, Rdata, RecordType, Resolver, normalize_name};
use crate::finding::{Finding, Location, Severity};
use crate::rules::{RuleId, Rules};
use futures_util::future::join_all;
use serde::Serialize;
use std::collections::BTreeMap;

/// What the DMARC audit measured for one domain.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DmarcFacts {
    /// The DMARC record that applies to the domain (its strings joined), if one was found.
    pub record: Option<String>,
    /// Where it was found: `_dmarc.DOMAIN`, or `_dmarc.ORGDOMAIN` when inherited.
    pub location: Option<String>,
    /// The domain that publishes the record (the audited domain or its organizational domain).
    pub source_domain: Option<String>,
    /// The organizational domain of the audited domain (Public Suffix List).
    pub organizational_domain: Option<String>,
    /// The record comes from the organizational domain (§6.6.3 step 4).
    pub inherited: bool,
    /// What RFC 7489 receivers make of the record.
    pub rfc7489: Option<Outcome>,
    /// What RFC 9989 receivers make of it (the key keeps the draft's name: schema v1).
    pub dmarcbis: Option<Outcome>,
    /// The policy RFC 7489 receivers apply to mail from this domain: `p`, or `sp` when the
    /// record is inherited; `none` after the §6.6.3 fallback; absent when no DMARC applies.
    pub policy: Option<Policy>,
    /// The record's effective tags (defaults filled in) when receivers apply it.
    pub p: Option<Policy>,
    pub sp: Option<Policy>,
    pub np: Option<Policy>,
    pub pct: Option<u8>,
    pub adkim: Option<Alignment>,
    pub aspf: Option<Alignment>,
    /// The syntactically valid report URIs (without `!size`).
    pub rua: Vec<String>,
    pub ruf: Vec<String>,
    /// Report domains outside the organizational domain that authorize the reports (§7.1).
    pub authorized_destinations: Vec<String>,
    /// Report domains outside the organizational domain without that authorization.
    pub unauthorized_destinations: Vec<String>,
    /// Where RFC 9989 reads the record differently.
    pub dmarcbis_notes: Vec<String>,
    /// Some DNS query failed: see the `dns/inconclusive` findings.
    pub incomplete: bool,
    /// What each receiver model applies to mail from the domain.
    pub receivers: Receivers,
}

/// The answers of the two receiver models side by side: RFC 9989 (the DNS Tree Walk) and
/// RFC 7489 (the Public Suffix List), which receivers will both run for years.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Receivers {
    pub rfc9989: ReceiverAnswer,
    pub rfc7489: ReceiverAnswer,
}

/// Whether a receiver model reached an answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReceiverStatus {
    #[default]
    Concluded,
    /// A query the answer depends on failed: the fields are null, never guessed.
    Inconclusive,
}

/// What one receiver model applies to mail from the audited domain.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReceiverAnswer {
    pub status: ReceiverStatus,
    /// The domain whose `_dmarc` record applies (no `_dmarc.` prefix); null when none does.
    pub policy_domain: Option<String>,
    /// The organizational domain this model uses for relaxed alignment.
    pub organizational_domain: Option<String>,
    /// What is applied to failing mail; null when no DMARC applies.
    pub policy: Option<Policy>,
}

impl ReceiverAnswer {
    fn inconclusive() -> ReceiverAnswer {
        ReceiverAnswer {
            status: ReceiverStatus::Inconclusive,
            ..ReceiverAnswer::default()
        }
    }

    /// "sub.example.com's record (quarantine)", or "no DMARC policy" when none applies.
    fn describe(&self) -> String {
        match (&self.policy_domain, self.policy) {
            (Some(domain), Some(policy)) => format!("{domain}'s record ({policy})"),
            _ => "no DMARC policy".to_string(),
        }
    }
}

impl ReceiverAnswer {
    /// The RFC 9989 answer from policy discovery.
    fn from_discovery(discovery: &Discovery) -> ReceiverAnswer {
        let applied = discovery.applied.as_ref().filter(|a| a.policy.is_some());
        ReceiverAnswer {
            status: ReceiverStatus::Concluded,
            policy_domain: applied.map(|a| a.domain.to_string()),
            organizational_domain: Some(discovery.organizational_domain.domain.to_string()),
            policy: applied.and_then(|a| a.failing_mail_policy()),
        }
    }
}

/// What the DMARC audit found.
pub type DmarcAudit = crate::finding::Audit<DmarcFacts>;

/// The TXT records at one `_dmarc` name, sorted.
#[derive(Default)]
struct Found {
    /// Records that begin with a valid `v=DMARC1` (§6.6.3 step 3): the DMARC record set.
    valid: Vec<Vec<u8>>,
    /// Records meant as DMARC that receivers discard (bad version, not first, blanks).
    discarded: Vec<Vec<u8>>,
    /// Other TXT records (SPF text, verification tokens).
    other: Vec<Vec<u8>>,
}

fn classify(records: &[Rdata]) -> Found {
    let mut found = Found::default();
    let mut texts: Vec<Vec<u8>> = records.iter().filter_map(Rdata::txt_joined).collect();
    texts.sort();
    for text in texts {
        if has_valid_version(&text) {
            found.valid.push(text);
        } else if looks_like_dmarc(&text) {
            found.discarded.push(text);
        } else {
            found.other.push(text);
        }
    }
    found
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Audit the DMARC policy of `domain`.
pub async fn audit_dmarc(resolver: &Resolver, rules: &Rules, domain: &str) -> DmarcAudit {
    let domain = normalize_name(domain);
    let org = organizational_domain(&domain);
    let own_name = format!("_dmarc.{domain}");
    // Names under .arpa (reverse DNS, RFC 3172) are infrastructure, never mail domains: their
    // "organizational domain" (192.in-addr.arpa) publishes no policy and is not asked.
    let org_name = org
        .as_ref()
        .filter(|o| **o != domain && !o.ends_with(".arpa"))
        .map(|o| format!("_dmarc.{o}"));
    // Independent questions go out together: the organizational domain's record is needed
    // only when the domain has none, but asking at once costs one query and no waiting.
    // The RFC 9989 walk shares the resolver's cache with the RFC 7489 queries.
    let (own, apex, org_answer, rfc9989) = tokio::join!(
        resolver.lookup(&own_name, RecordType::Txt),
        resolver.lookup(&domain, RecordType::Txt),
        async {
            match &org_name {
                Some(name) => Some(resolver.lookup(name, RecordType::Txt).await),
                None => None,
            }
        },
        discover_policy(resolver, &domain),
    );
    let mut check = Check {
        resolver,
        rules,
        domain: &domain,
        audit: DmarcAudit::default(),
        discarded_seen: false,
        policy_failed: false,
        rfc9989,
    };
    check.audit.facts.organizational_domain = org.clone();
    let own = match check.found(&own_name, own) {
        Some(found) => found,
        None => return check.finish(),
    };
    if check.chosen(&own_name, &domain, false, &own).await {
        return check.finish();
    }
    let mut missing_at = vec![own_name.clone()];
    if let (Some(org), Some(org_name), Some(answer)) = (&org, &org_name, org_answer) {
        let Some(found) = check.found(org_name, answer) else {
            return check.finish();
        };
        if check.chosen(org_name, org, true, &found).await {
            return check.finish();
        }
        missing_at.push(org_name.clone());
    }
    if !check.discarded_seen {
        check.missing(&missing_at, &own, &apex);
    }
    check.finish()
}

struct Check<'a> {
    resolver: &'a Resolver,
    rules: &'a Rules,
    domain: &'a str,
    audit: DmarcAudit,
    /// A record meant as DMARC was found but is discarded by receivers (already reported).
    discarded_seen: bool,
    /// A `_dmarc` query of RFC 7489 discovery failed: its answer is inconclusive.
    policy_failed: bool,
    /// RFC 9989 policy discovery for the domain.
    rfc9989: Result<Discovery, DiscoveryError>,
}

impl Check<'_> {
    fn finish(mut self) -> DmarcAudit {
        let rfc7489 = if self.policy_failed {
            ReceiverAnswer::inconclusive()
        } else {
            let facts = &self.audit.facts;
            ReceiverAnswer {
                status: ReceiverStatus::Concluded,
                policy_domain: facts.policy.and(facts.source_domain.clone()),
                // A public suffix has no organizational domain of its own: it is its own.
                organizational_domain: Some(
                    facts
                        .organizational_domain
                        .clone()
                        .unwrap_or_else(|| self.domain.to_string()),
                ),
                policy: facts.policy,
            }
        };
        let rfc9989 = match &self.rfc9989 {
            Ok(discovery) => ReceiverAnswer::from_discovery(discovery),
            Err(DiscoveryError::Inconclusive(why)) => {
                let query = match why.question {
                    Question::PolicyRecord => format!("TXT _dmarc.{}", why.domain),
                    Question::Existence => format!("TXT {}", why.domain),
                };
                let failure = why.failure.clone();
                self.inconclusive_once(query, &failure);
                ReceiverAnswer::inconclusive()
            }
            // Not a name a policy can be published for: no DMARC applies.
            Err(DiscoveryError::InvalidDomain(_) | DiscoveryError::Root) => ReceiverAnswer {
                organizational_domain: None,
                ..ReceiverAnswer::default()
            },
        };
        self.disagreement(&rfc9989, &rfc7489);
        self.audit.facts.receivers = Receivers { rfc9989, rfc7489 };
        self.audit
    }

    /// `dmarc/receivers-disagree` when both models concluded and they apply a different
    /// record or policy, or use a different organizational domain: relaxed alignment then
    /// passes at one receiver and fails at the other for the same envelope or signing domain.
    fn disagreement(&mut self, rfc9989: &ReceiverAnswer, rfc7489: &ReceiverAnswer) {
        let concluded = |a: &ReceiverAnswer| a.status == ReceiverStatus::Concluded;
        if !concluded(rfc9989) || !concluded(rfc7489) {
            return;
        }
        let same_policy =
            rfc9989.policy_domain == rfc7489.policy_domain && rfc9989.policy == rfc7489.policy;
        // Alignment matters only where a policy applies: with none at all, DMARC is not
        // evaluated, whatever the organizational domain.
        let no_policy = rfc9989.policy.is_none() && rfc7489.policy.is_none();
        if same_policy
            && (no_policy || rfc9989.organizational_domain == rfc7489.organizational_domain)
        {
            return;
        }
        let domain = self.domain;
        let mut message = if same_policy {
            format!(
                "the receiver models disagree on {domain}: both apply {}, but",
                rfc9989.describe()
            )
        } else {
            format!(
                "the receiver models disagree on {domain}: an RFC 9989 receiver applies {}; an RFC 7489 receiver applies {}",
                rfc9989.describe(),
                rfc7489.describe()
            )
        };
        if rfc9989.organizational_domain != rfc7489.organizational_domain {
            let org = |a: &ReceiverAnswer| a.organizational_domain.clone().unwrap_or_default();
            message.push_str(if same_policy { " " } else { "; " });
            message.push_str(&format!(
                "its organizational domain is {} for RFC 9989 (DNS tree walk) and {} for RFC 7489 (Public Suffix List), so relaxed alignment differs",
                org(rfc9989),
                org(rfc7489)
            ));
        }
        let measured = serde_json::json!({ "rfc9989": rfc9989, "rfc7489": rfc7489 });
        let f = self
            .rules
            .finding(RECEIVERS_DISAGREE, domain, message)
            .with_measured(measured);
        self.push(f);
    }

    /// [`Self::inconclusive`] unless the same query was already reported.
    fn inconclusive_once(&mut self, query: String, why: &DnsFailure) {
        let seen = self.audit.findings.iter().any(|f| {
            f.rule == INCONCLUSIVE
                && f.evidence.measured.as_ref().and_then(|m| m.as_str()) == Some(query.as_str())
        });
        if !seen {
            self.inconclusive(query, why);
        }
    }

    fn push(&mut self, finding: Finding) {
        self.audit.findings.push(finding);
    }

    fn inconclusive(&mut self, query: String, why: &DnsFailure) {
        self.audit.facts.incomplete = true;
        let f = audit_inconclusive(self.rules, self.domain, query, why, "DMARC audit");
        self.push(f);
    }

    /// The TXT records of a `_dmarc` name, or `None` (reported) when the query failed.
    fn found(&mut self, name: &str, answer: Answer) -> Option<Found> {
        match answer {
            Answer::Records(records) => Some(classify(&records)),
            Answer::NxDomain | Answer::NoData => Some(Found::default()),
            // `_dmarc.` before a name of up to 253 octets can exceed what DNS can hold (RFC
            // 1035 §2.3.4): no record can exist there, so the set is empty, not inconclusive.
            Answer::Failure(DnsFailure {
                kind: FailureKind::InvalidName,
                ..
            }) => Some(Found::default()),
            Answer::Failure(why) => {
                self.policy_failed = true;
                self.inconclusive(format!("TXT {name}"), &why);
                None
            }
        }
    }

    /// Report what is at `name` (published by `source`); true when discovery ends here (a
    /// record applies, or several do and discovery terminates, §6.6.3 step 5).
    async fn chosen(&mut self, name: &str, source: &str, inherited: bool, found: &Found) -> bool {
        for text in &found.discarded {
            self.discarded_seen = true;
            let record = DmarcRecord::parse(text);
            self.syntax_findings(&record, name, true);
        }
        match found.valid.as_slice() {
            [] => false,
            [one] => {
                self.evaluate(one, name, source, inherited).await;
                true
            }
            many => {
                let shown: Vec<String> = many.iter().map(|r| lossy(r)).collect();
                let rfc9989 = self.rfc9989_applies(None);
                let f = self
                    .rules
                    .finding(
                        MULTIPLE_RECORDS,
                        self.domain,
                        format!(
                            "{name} publishes {} records beginning with v=DMARC1: RFC 7489 receivers apply no DMARC policy at all (§6.6.3 step 5); RFC 9989 receivers discard them all and walk on up the tree (§4.10 step 2), and {rfc9989}",
                            many.len()
                        ),
                    )
                    .with_record(shown.join(" | "))
                    .with_measured(many.len())
                    .with_threshold(1);
                self.push(f);
                true
            }
        }
    }

    fn missing(&mut self, names: &[String], own: &Found, apex: &Answer) {
        let domain = self.domain;
        let mut message = match names {
            [own] => {
                format!("{domain} publishes no DMARC record (no v=DMARC1 TXT record at {own})")
            }
            [own, org, ..] => format!(
                "{domain} publishes no DMARC record: no v=DMARC1 TXT record at {own} or at its organizational domain's {org}"
            ),
            [] => format!("{domain} publishes no DMARC record"),
        };
        let mut evidence = None;
        if matches!(apex, Answer::NxDomain) {
            message.push_str(&format!("; {domain} itself does not exist (NXDOMAIN)"));
        }
        if let Some(spf) = own.other.iter().find(|t| {
            t.get(..6)
                .is_some_and(|p| p.eq_ignore_ascii_case(b"v=spf1"))
        }) {
            message.push_str(&format!(
                "; _dmarc.{domain} holds SPF text instead, which receivers discard"
            ));
            evidence = Some(lossy(spf));
        }
        let at_apex: Vec<Vec<u8>> = apex
            .records()
            .iter()
            .filter_map(Rdata::txt_joined)
            .filter(|t| looks_like_dmarc(t))
            .collect();
        if let Some(record) = at_apex.first() {
            message.push_str(&format!(
                "; a v=DMARC1 record is published at {domain} itself, where receivers never look"
            ));
            evidence = Some(lossy(record));
        }
        let mut f = self.rules.finding(MISSING, domain, message);
        if let Some(record) = evidence {
            f = f.with_record(record);
        }
        self.push(f);
    }

    /// One `dmarc/syntax` finding per problem of the record at `name`. A record receivers
    /// discard (or cannot read as a tag-list) gets only the problems that make it so.
    fn syntax_findings(&mut self, record: &DmarcRecord, name: &str, discarded: bool) {
        let structural = !record.is_structurally_valid() || discarded;
        let outcomes = serde_json::json!({
            "rfc7489": record.outcome(Reading::Rfc7489),
            "dmarcbis": record.outcome(Reading::Dmarcbis),
            "lenient": record.outcome(Reading::Lenient),
        });
        for problem in &record.problems {
            if structural && !problem.is_structural() {
                continue;
            }
            let (severity, consequence) = consequence(record, problem);
            let f = self
                .rules
                .finding(
                    SYNTAX,
                    self.domain,
                    format!("DMARC record at {name}: {}; {consequence}", problem.message),
                )
                .with_severity(severity)
                .with_record(record.text.clone())
                .with_measured(outcomes.clone())
                .at(Location::RecordSpan {
                    record: name.to_string(),
                    start: problem.span.start,
                    end: problem.span.end,
                });
            self.push(f);
        }
    }

    fn span_of(record: &DmarcRecord, name: &str, tag: &str) -> Option<Location> {
        record
            .tags
            .iter()
            .find(|t| t.name == tag)
            .map(|t| Location::RecordSpan {
                record: name.to_string(),
                start: t.name_span.start,
                end: t.value_span.end,
            })
    }

    fn finding_at(
        &self,
        id: RuleId,
        message: String,
        record: &DmarcRecord,
        name: &str,
        tag: &str,
    ) -> Finding {
        let mut f = self
            .rules
            .finding(id, self.domain, message)
            .with_record(record.text.clone());
        if let Some(location) = Self::span_of(record, name, tag) {
            f = f.at(location);
        }
        f
    }

    /// The one DMARC record that applies: facts and every check of its content.
    async fn evaluate(&mut self, text: &[u8], name: &str, source: &str, inherited: bool) {
        let domain = self.domain;
        let record = DmarcRecord::parse(text);
        let outcome = record.outcome(Reading::Rfc7489);
        {
            let facts = &mut self.audit.facts;
            facts.record = Some(record.text.clone());
            facts.location = Some(name.to_string());
            facts.source_domain = Some(source.to_string());
            facts.inherited = inherited;
            facts.rfc7489 = Some(outcome);
            facts.dmarcbis = Some(record.outcome(Reading::Dmarcbis));
            facts.dmarcbis_notes = record
                .dmarcbis_notes()
                .into_iter()
                .map(|n| n.describe().to_string())
                .collect();
        }
        self.syntax_findings(&record, name, false);
        if inherited {
            let applied = record
                .subdomain_policy(Reading::Rfc7489)
                .map(|p| format!(", which applies {} to it", p))
                .unwrap_or_default();
            let rfc9989 =
                self.rfc9989_applies(Some((source, record.subdomain_policy(Reading::Rfc7489))));
            let f = self
                .rules
                .finding(
                    INHERITED,
                    domain,
                    format!(
                        "{domain} has no DMARC record of its own: RFC 7489 receivers take the policy from {name}, the record of its organizational domain {source}{applied} (§6.6.3); RFC 9989 receivers {rfc9989} (§4.10.1)"
                    ),
                )
                .with_record(record.text.clone())
                .with_measured(name.to_string());
            self.push(f);
        }
        if !record.is_structurally_valid() {
            return;
        }
        let policy = if inherited {
            record.subdomain_policy(Reading::Rfc7489)
        } else {
            record.policy(Reading::Rfc7489)
        };
        {
            let facts = &mut self.audit.facts;
            facts.policy = policy;
            facts.rua = record.rua.iter().map(|u| u.uri.clone()).collect();
            facts.ruf = record.ruf.iter().map(|u| u.uri.clone()).collect();
            if let Some(p) = record.policy(Reading::Rfc7489) {
                let sp = record.subdomain_policy(Reading::Rfc7489).unwrap_or(p);
                facts.p = Some(p);
                facts.sp = Some(sp);
                facts.np = Some(record.np.filter(|_| outcome.applies()).unwrap_or(sp));
                facts.pct = Some(record.pct.filter(|_| outcome.applies()).unwrap_or(100));
                facts.adkim = Some(record.adkim.unwrap_or_default());
                facts.aspf = Some(record.aspf.unwrap_or_default());
            }
        }
        let pct_reported =
            outcome.applies() && self.policy_checks(&record, name, inherited, policy);
        self.removed_tags(&record, name, pct_reported);
        self.report_checks(&record, name, source).await;
    }

    /// What RFC 9989 receivers apply to the domain, in words ("apply X's record (p)"), with
    /// " too" when it is RFC 7489's answer `rfc7489` (the record's domain and its policy).
    fn rfc9989_applies(&self, rfc7489: Option<(&str, Option<Policy>)>) -> String {
        let discovery = match &self.rfc9989 {
            Ok(discovery) => discovery,
            Err(DiscoveryError::Inconclusive(_)) => {
                return "could not be followed: a query of their DNS tree walk failed".to_string();
            }
            Err(_) => return "apply no DMARC policy".to_string(),
        };
        let answer = ReceiverAnswer::from_discovery(discovery);
        if answer.policy.is_none() {
            return "apply no DMARC policy: their DNS tree walk finds no record that applies"
                .to_string();
        }
        let same = rfc7489.is_some_and(|(source, policy)| {
            answer.policy_domain.as_deref() == Some(source) && answer.policy == policy
        });
        format!(
            "apply {}{}",
            answer.describe(),
            if same { " too" } else { "" }
        )
    }

    /// `dmarc/tag-removed`: one finding per tag RFC 9989 removed (pct, rf, ri; Appendix
    /// C.5.2) that the record still carries, saying what each receiver model does with it.
    /// A pct under 100 that dmarc/pct-partial reported is not reported twice.
    fn removed_tags(&mut self, record: &DmarcRecord, name: &str, pct_reported: bool) {
        // Each tag once: a duplicate makes the record structurally invalid, which never
        // reaches here.
        for tag in &record.tags {
            let tag_name = tag.name.as_str();
            if !matches!(tag_name, "pct" | "rf" | "ri") {
                continue;
            }
            if tag_name == "pct" && pct_reported {
                continue;
            }
            let written = format!("{tag_name}={}", tag.value);
            let rfc7489 = match tag_name {
                "pct" => match record.pct {
                    Some(100) => "RFC 7489 receivers read pct=100 as the default and apply the policy to all failing mail too, so the tag changes nothing".to_string(),
                    Some(pct) => format!(
                        "RFC 7489 receivers would apply the policy to {pct}% of failing mail (§6.6.4), which changes nothing while the policy is none"
                    ),
                    None => "RFC 7489 receivers discard the invalid value and use pct=100 (§6.3)".to_string(),
                },
                "rf" => "RFC 7489 receivers read it as the failure-report format (§6.3), of which afrf, the default, is the only one registered".to_string(),
                _ => "RFC 7489 receivers read it as the requested interval between aggregate reports, in seconds (§6.3, default 86400)".to_string(),
            };
            let rfc9989 = match tag_name {
                "pct" => {
                    "its receivers ignore it and apply the policy to all failing mail (t=y is its testing flag, §4.7)"
                }
                "rf" => "its receivers ignore it and send failure reports in the RFC 9991 format",
                _ => {
                    "its receivers ignore it and send aggregate reports at their own interval, normally daily (RFC 9990)"
                }
            };
            let f = self
                .finding_at(
                    TAG_REMOVED,
                    format!(
                        "{name} has {written}: RFC 9989 removes {tag_name} (Appendix C.5.2), so {rfc9989}; {rfc7489}"
                    ),
                    record,
                    name,
                    tag_name,
                )
                .with_measured(written);
            self.push(f);
        }
    }

    /// The checks of the policy that applies; true when dmarc/pct-partial reported pct.
    fn policy_checks(
        &mut self,
        record: &DmarcRecord,
        name: &str,
        inherited: bool,
        policy: Option<Policy>,
    ) -> bool {
        let domain = self.domain;
        let p = record.p.unwrap_or(Policy::None);
        if policy == Some(Policy::None) {
            let (tag, message) = if inherited && record.sp.is_some() {
                (
                    "sp",
                    format!(
                        "{domain} inherits sp=none from {name}: receivers take no action on its mail that fails DMARC (monitoring only)"
                    ),
                )
            } else if inherited {
                (
                    "p",
                    format!(
                        "{domain} inherits p=none from {name}: receivers take no action on its mail that fails DMARC (monitoring only)"
                    ),
                )
            } else {
                (
                    "p",
                    format!(
                        "{name} says p=none: receivers take no action on mail that fails DMARC (monitoring only)"
                    ),
                )
            };
            let f = self.finding_at(POLICY_NONE, message, record, name, tag);
            self.push(f);
        }
        for (tag, weaker, what) in [
            ("sp", record.sp, "subdomains"),
            ("np", record.np, "non-existent subdomains (RFC 9091)"),
        ] {
            let Some(weaker) = weaker.filter(|w| *w < p) else {
                continue;
            };
            let f = self
                .finding_at(
                    SUBDOMAIN_WEAKER,
                    format!(
                        "{name} applies {tag}={weaker} to {what}, weaker than p={p}: mail forged from any subdomain escapes the domain's policy"
                    ),
                    record,
                    name,
                    tag,
                )
                .with_measured(weaker.as_str())
                .with_threshold(p.as_str());
            self.push(f);
        }
        let enforced = policy.filter(|p| *p != Policy::None);
        let mut pct_reported = false;
        if let (Some(enforced), Some(pct)) = (enforced, record.pct.filter(|pct| *pct < 100)) {
            pct_reported = true;
            let lower = enforced.one_level_weaker();
            let share = if pct == 0 {
                "none of the mail that fails DMARC".to_string()
            } else {
                format!("only {pct}% of the mail that fails DMARC")
            };
            let f = self
                .finding_at(
                    PCT_PARTIAL,
                    format!(
                        "{name} says pct={pct}: RFC 7489 receivers apply {enforced} to {share} and {lower} to the rest (§6.6.4); RFC 9989 removes pct (Appendix C.5.2) and its receivers apply {enforced} to all of it"
                    ),
                    record,
                    name,
                    "pct",
                )
                .with_measured(pct)
                .with_threshold(100);
            self.push(f);
        }
        if let (Some(enforced), Some(true)) = (enforced, record.testing) {
            let lower = enforced.one_level_weaker();
            let f = self
                .finding_at(
                    PCT_PARTIAL,
                    format!(
                        "{name} says t=y (testing): RFC 9989 receivers are asked not to apply {enforced} but their special handling (such as rewriting From), the Domain Owner expecting {lower} for failing mail (§4.7 t); RFC 7489 receivers ignore t and apply {enforced}"
                    ),
                    record,
                    name,
                    "t",
                )
                .with_measured("t=y");
            self.push(f);
        }
        pct_reported
    }

    /// `dmarc/no-reports` and the §7.1 authorization of external destinations.
    async fn report_checks(&mut self, record: &DmarcRecord, name: &str, source: &str) {
        let has_rua = record.tags.iter().any(|t| t.name == "rua");
        if !has_rua {
            let f = self
                .rules
                .finding(
                    NO_REPORTS,
                    self.domain,
                    format!(
                        "{name} has no rua tag: receivers send no aggregate reports, so you cannot see who sends mail as the domain or whether it passes"
                    ),
                )
                .with_record(record.text.clone());
            self.push(f);
        } else if !record.rua.is_empty() && record.rua.iter().all(|u| u.scheme != "mailto") {
            let shown: Vec<&str> = record.rua.iter().map(|u| u.uri.as_str()).collect();
            let f = self
                .finding_at(
                    NO_REPORTS,
                    format!(
                        "{name} lists only non-mailto report URIs in rua ({}): receivers need support only mailto: (RFC 7489 §6.2), and in practice send no reports to others",
                        shown.join(", ")
                    ),
                    record,
                    name,
                    "rua",
                );
            self.push(f);
        }

        // Distinct mailto hosts, with the tags and the first span that name them.
        let mut hosts: BTreeMap<String, (Vec<&str>, usize, usize)> = BTreeMap::new();
        for (tag, uris) in [("rua", &record.rua), ("ruf", &record.ruf)] {
            for uri in uris.iter().filter(|u| u.scheme == "mailto") {
                let Some(host) = &uri.host else { continue };
                let entry =
                    hosts
                        .entry(host.clone())
                        .or_insert((Vec::new(), uri.span.start, uri.span.end));
                if !entry.0.contains(&tag) {
                    entry.0.push(tag);
                }
            }
        }
        if hosts.is_empty() {
            return;
        }
        let resolver = self.resolver;
        let source_ascii = to_ascii(source);
        // §7.1 applies to destinations outside the policy domain's organization.
        let queries: Vec<Option<String>> = hosts
            .keys()
            .map(|host| {
                (!same_organization(host, source))
                    .then(|| format!("{source_ascii}._report._dmarc.{host}"))
            })
            .collect();
        let (authorizations, deliveries) = tokio::join!(
            join_all(queries.iter().map(|q| async move {
                match q {
                    Some(q) => Some(resolver.lookup(q, RecordType::Txt).await),
                    None => None,
                }
            })),
            join_all(hosts.keys().map(|host| deliverable(resolver, host))),
        );
        for (((host, (tags, start, end)), query), (authorization, delivery)) in hosts
            .iter()
            .zip(&queries)
            .zip(authorizations.into_iter().zip(deliveries))
        {
            let location = Location::RecordSpan {
                record: name.to_string(),
                start: *start,
                end: *end,
            };
            let tags = tags.join(" and ");
            match delivery {
                Delivery::Deliverable => {}
                Delivery::Failed(failures) => {
                    for (query, why) in failures {
                        self.inconclusive(query, &why);
                    }
                }
                Delivery::Undeliverable(why) => {
                    let f = self
                        .rules
                        .finding(
                            REPORT_UNDELIVERABLE,
                            self.domain,
                            format!(
                                "{tags} of {name} sends reports to {host}, which cannot receive mail ({why}): the reports are lost"
                            ),
                        )
                        .with_record(record.text.clone())
                        .with_measured(host.clone())
                        .at(location.clone());
                    self.push(f);
                }
            }
            let (Some(query), Some(answer)) = (query, authorization) else {
                continue;
            };
            let authorized = match answer {
                Answer::Records(records) => records
                    .iter()
                    .filter_map(Rdata::txt_joined)
                    .any(|t| has_valid_version(&t)),
                Answer::NxDomain | Answer::NoData => false,
                // A name too long for DNS cannot hold the authorization.
                Answer::Failure(DnsFailure {
                    kind: FailureKind::InvalidName,
                    ..
                }) => false,
                Answer::Failure(why) => {
                    self.inconclusive(format!("TXT {query}"), &why);
                    continue;
                }
            };
            if authorized {
                self.audit.facts.authorized_destinations.push(host.clone());
                continue;
            }
            self.audit
                .facts
                .unauthorized_destinations
                .push(host.clone());
            let f = self
                .rules
                .finding(
                    REPORT_UNAUTHORIZED,
                    self.domain,
                    format!(
                        "{tags} of {name} sends reports to {host}, outside {source}'s organization, and {host} has not authorized them (no v=DMARC1 TXT record at {query}): receivers send it no reports (RFC 7489 §7.1)"
                    ),
                )
                .with_record(record.text.clone())
                .with_measured(query.clone())
                .at(location);
            self.push(f);
        }
    }
}

/// Whether mail to a report address's domain can be delivered (RFC 5321 §5.1, RFC 7505).
enum Delivery {
    Deliverable,
    /// Why not, in words.
    Undeliverable(String),
    /// (query, failure) of the queries that failed.
    Failed(Vec<(String, DnsFailure)>),
}

async fn deliverable(resolver: &Resolver, host: &str) -> Delivery {
    match resolver.lookup(host, RecordType::Mx).await {
        Answer::Records(records) => {
            let real = records.iter().any(|r| match r {
                Rdata::Mx { exchange, .. } => !(exchange.is_empty() || exchange == "."),
                _ => false,
            });
            if real || !records.iter().any(|r| matches!(r, Rdata::Mx { .. })) {
                Delivery::Deliverable
            } else {
                Delivery::Undeliverable("it publishes a null MX, RFC 7505".into())
            }
        }
        Answer::NxDomain => Delivery::Undeliverable("the domain does not exist".into()),
        Answer::Failure(DnsFailure {
            kind: FailureKind::InvalidName,
            ..
        }) => Delivery::Undeliverable("it is not a valid domain name".into()),
        Answer::Failure(why) => Delivery::Failed(vec![(format!("MX {host}"), why)]),
        Answer::NoData => {
            // No MX: the domain's own address is the implicit MX (RFC 5321 §5.1).
            let (a, aaaa) = tokio::join!(
                resolver.lookup(host, RecordType::A),
                resolver.lookup(host, RecordType::Aaaa)
            );
            if !a.records().is_empty() || !aaaa.records().is_empty() {
                return Delivery::Deliverable;
            }
            let failures: Vec<(String, DnsFailure)> =
                [(a, RecordType::A), (aaaa, RecordType::Aaaa)]
                    .into_iter()
                    .filter_map(|(answer, rtype)| match answer {
                        Answer::Failure(why) => Some((format!("{rtype} {host}"), why)),
                        _ => None,
                    })
                    .collect();
            if failures.is_empty() {
                Delivery::Undeliverable("no MX record and no A or AAAA address".into())
            } else {
                Delivery::Failed(failures)
            }
        }
    }
}

/// The A-label form of a name (§7.1 step 3 "after conversion to an A-label if needed").
fn to_ascii(name: &str) -> String {
    if name.is_ascii() {
        return name.to_string();
    }
    idna::domain_to_ascii(name).unwrap_or_else(|_| name.to_string())
}

/// Severity and consequence, in words, of one problem of a record.
fn consequence(record: &DmarcRecord, problem: &Problem) -> (Severity, String) {
    let strict = problem.effect(Reading::Rfc7489);
    let bis = problem.effect(Reading::Dmarcbis);
    let lenient = problem.effect(Reading::Lenient);
    let tag = problem.tag.as_deref().unwrap_or("");
    let mut text = match strict {
        Effect::Invalid => "RFC 7489 receivers ignore the whole record, so it sets no DMARC policy".to_string(),
        Effect::Fallback => match record.outcome(Reading::Rfc7489) {
            Outcome::FallbackNone => {
                "receivers act as if the record said p=none, because rua holds a valid URI (RFC 7489 §6.6.3)".to_string()
            }
            _ => "with no valid rua URI to fall back on, RFC 7489 receivers apply no DMARC policy at all (§6.6.3)".to_string(),
        },
        Effect::Discard => match (problem.kind, tag) {
            (ProblemKind::UnregisteredReportFormat, _) => {
                "RFC 7489 receivers ignore the unregistered format (§6.3 rf: they \"SHOULD ignore it or MAY ignore the entire rf tag\"), so failure reports come as afrf, the default".to_string()
            }
            (ProblemKind::EmptyTagSpec | ProblemKind::MalformedTagSpec, _) => {
                "receivers skip it (RFC 7489 §6.3)".to_string()
            }
            (_, "rua") => "receivers discard it, and send no aggregate reports there".to_string(),
            (_, "ruf") => "receivers discard it, and send no failure reports there".to_string(),
            _ => format!(
                "receivers discard the tag and use its default{} (RFC 7489 §6.3)",
                match tag {
                    "pct" => " pct=100",
                    "adkim" | "aspf" => " r (relaxed)",
                    "fo" => " fo=0",
                    "rf" => " rf=afrf",
                    "ri" => " ri=86400",
                    "np" => " (the sp policy)",
                    _ => "",
                }
            ),
        },
        Effect::None => match problem.kind {
            ProblemKind::PolicyNotSecond => {
                "receivers accept it in any position, and RFC 9989 allows any order (§4.8)".to_string()
            }
            ProblemKind::UnknownTag => {
                "receivers ignore unknown tags (RFC 7489 §6.3 and RFC 9989 §4.7 alike: the record stays valid): check it is not a misspelt tag".to_string()
            }
            _ if matches!(tag, "psd" | "t") => {
                format!("RFC 7489 has no {tag} tag, so its receivers ignore it (§6.3)")
            }
            _ => "RFC 7489 receivers ignore it".to_string(),
        },
    };
    if lenient != strict && lenient == Effect::None {
        text.push_str(", though some receivers accept it");
    }
    if bis != strict {
        let bis_text = match (problem.kind, bis) {
            (ProblemKind::MissingPolicy, _) => BisNote::MissingPolicyIsNone.describe().to_string(),
            (ProblemKind::InvalidSizeLimit, _) => BisNote::SizeSuffixRemoved.describe().to_string(),
            (_, Effect::None) => {
                format!("RFC 9989 removes {tag} (Appendix C.5.2) and its receivers ignore it")
            }
            (_, Effect::Discard) => format!(
                "RFC 9989 receivers discard the invalid {tag}{} (§4.8)",
                match tag {
                    "psd" => " and use its default psd=u",
                    "t" => " and use its default t=n",
                    _ => "",
                }
            ),
            (_, Effect::Fallback) => format!(
                "RFC 9989 treats an invalid {tag} like an invalid p: p=none if rua holds a valid URI, else no DMARC (§4.10.1)"
            ),
            (_, Effect::Invalid) => {
                "RFC 9989 receivers ignore the whole record (§4.7 v)".to_string()
            }
        };
        text.push_str("; ");
        text.push_str(&bis_text);
    }
    let severity = match (strict, bis) {
        // The only registered format is the default: nothing a receiver does changes.
        _ if problem.kind == ProblemKind::UnregisteredReportFormat => Severity::Warning,
        (Effect::None, Effect::None) => Severity::Info,
        (Effect::None, _) => Severity::Warning,
        _ => Severity::Error,
    };
    (severity, text)
}
