//! Which term of a domain's own SPF tree authorises a reporting source: `check_host()` for
//! (source IP, domain) through the run's one resolver, whose cache asks each name once for
//! the whole run (never once per record), and the source's reverse DNS.

use super::facts::Attribution;
use crate::dns::bounded::map_bounded;
use crate::dns::orgdomain::organizational_domain;
use crate::dns::{Answer, Rdata, RecordType, Resolver};
use crate::spf::check_host::{CheckHostInput, CheckHostOptions, SpfResult, check_host};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

/// What attribution needs: the run's resolver, a runtime, how many at once.
pub type Attributor = crate::dns::bounded::Lookups;

/// The source to attribute: the IP, the header_from domain, and the envelope domain the
/// reporter evaluated SPF for when it is another name of the same organization (a bounce
/// subdomain with a tree of its own).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceKey {
    pub domain: String,
    pub envelope: Option<String>,
    pub ip: IpAddr,
}

/// Attributions already made in this run.
#[derive(Default)]
pub struct AttributionCache {
    done: HashMap<SourceKey, Arc<Attribution>>,
}

impl AttributionCache {
    pub fn get(&self, key: &SourceKey) -> Option<Arc<Attribution>> {
        self.done.get(key).cloned()
    }

    /// Attribute every key not yet attributed, `attributor.concurrency` at a time.
    pub fn fill(&mut self, attributor: &Attributor, keys: impl IntoIterator<Item = SourceKey>) {
        let mut todo: Vec<SourceKey> = keys
            .into_iter()
            .filter(|k| !self.done.contains_key(k))
            .collect();
        todo.sort();
        todo.dedup();
        if todo.is_empty() {
            return;
        }
        let resolver = attributor.resolver.clone();
        // A panicking task is a bug; its key stays unattributed (inconclusive below).
        let done = map_bounded(&attributor.runtime, attributor.concurrency, todo, |key| {
            let resolver = resolver.clone();
            async move {
                let attribution = attribute(&resolver, &key).await;
                (key, attribution)
            }
        });
        for (key, attribution) in done {
            self.done.insert(key, Arc::new(attribution));
        }
    }
}

/// What one domain's SPF says of `ip`: the authorising term, or why there is none.
struct SpfAnswer {
    authorised_by: Option<String>,
    problem: Option<String>,
    inconclusive: bool,
}

async fn spf_answer(resolver: &Resolver, domain: &str, ip: IpAddr) -> SpfAnswer {
    let input = CheckHostInput {
        ip,
        domain: domain.to_string(),
        sender: format!("postmaster@{domain}"),
        helo: domain.to_string(),
    };
    let outcome = check_host(resolver, &input, &CheckHostOptions::default()).await;
    let problem = |what: &str| {
        Some(match &outcome.problem {
            Some(why) => format!("{domain}: SPF {what}: {why}"),
            None => format!("{domain}: SPF {what}"),
        })
    };
    match outcome.result {
        SpfResult::Pass => SpfAnswer {
            // The top record's term: an include two levels down is the include written in
            // the domain's own record. A redirect= hands the decision to another record,
            // whose term is named with its domain.
            authorised_by: outcome.deciding_term.map(|term| {
                if term.domain.eq_ignore_ascii_case(domain) {
                    term.term
                } else {
                    format!("redirect={}: {}", term.domain, term.term)
                }
            }),
            problem: None,
            inconclusive: false,
        },
        SpfResult::TempError => SpfAnswer {
            authorised_by: None,
            problem: problem("temperror"),
            inconclusive: true,
        },
        SpfResult::PermError => SpfAnswer {
            authorised_by: None,
            problem: problem("permerror"),
            inconclusive: false,
        },
        SpfResult::None => SpfAnswer {
            authorised_by: None,
            problem: Some(format!("{domain} publishes no SPF record")),
            inconclusive: false,
        },
        SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral => SpfAnswer {
            authorised_by: None,
            problem: None,
            inconclusive: false,
        },
    }
}

async fn attribute(resolver: &Resolver, key: &SourceKey) -> Attribution {
    let mut answer = spf_answer(resolver, &key.domain, key.ip).await;
    if answer.authorised_by.is_none()
        && !answer.inconclusive
        && let Some(envelope) = &key.envelope
    {
        let own = spf_answer(resolver, envelope, key.ip).await;
        if let Some(term) = own.authorised_by {
            answer.authorised_by = Some(format!("{envelope}: {term}"));
        }
        answer.inconclusive |= own.inconclusive;
        answer.problem = answer.problem.or(own.problem);
    }
    let (reverse_dns, ptr_failed) = match resolver
        .lookup(&crate::mx::rdns::reverse_name(key.ip), RecordType::Ptr)
        .await
    {
        Answer::Records(records) => (
            records.iter().find_map(|r| match r {
                Rdata::Ptr(name) => Some(name.trim_end_matches('.').to_ascii_lowercase()),
                _ => None,
            }),
            false,
        ),
        Answer::Failure(_) => (None, true),
        Answer::NxDomain | Answer::NoData => (None, false),
    };
    let base_domain = reverse_dns.as_deref().and_then(organizational_domain);
    let mut problem = answer.problem;
    if ptr_failed && problem.is_none() {
        // The PTR name is evidence only: a failed PTR query leaves the class standing.
        problem = Some(format!("the PTR query for {} failed", key.ip));
    }
    Attribution {
        authorised_by: answer.authorised_by,
        reverse_dns,
        base_domain,
        problem,
        inconclusive: answer.inconclusive,
    }
}
