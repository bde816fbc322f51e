//! RFC 9989 policy discovery: the DNS Tree Walk (§4.10), the record applied to an Author
//! Domain (§4.10.1) and the Organizational Domain used for relaxed alignment (§4.10.2).
//! The RFC 7489 way (the Public Suffix List, [`crate::dns::orgdomain`]) stays beside it.
//!
//! Section numbers are those of RFC 9989 (draft-ietf-dmarc-dmarcbis-41 text).

use super::record::{DmarcRecord, Outcome, Policy, Reading, has_valid_version};
use crate::dns::{Answer, DnsFailure, DnsName, NameError, Rdata, RecordType, Resolver};

/// The most queries one walk asks (§4.10: "Author Domains with more than eight labels do not
/// result in more than eight DNS queries").
pub const MAX_QUERIES: usize = 8;

/// A name of more than this many labels jumps to its last this-many labels after the first
/// query (§4.10 step 4: "remove the left-most labels ... until 7 labels remain").
const JUMP_TO_LABELS: usize = 7;

/// What one query of the walk found at `_dmarc.<domain>`.
#[derive(Clone, Debug, PartialEq)]
pub enum Found {
    /// Exactly one TXT record beginning with `v=DMARC1` (§4.10 step 2).
    Record(Box<DmarcRecord>),
    /// No TXT record beginning with `v=DMARC1` (NXDOMAIN, no data, or only other TXT text).
    NoRecord,
    /// Several `v=DMARC1` records: "they are all discarded" (§4.10 step 2), so no record here.
    Multiple(usize),
    /// `_dmarc.<domain>` is longer than a DNS name can be: nothing can be published there,
    /// and nothing was asked.
    Unaskable,
    /// The query failed: the walk stops, and nothing it would have concluded holds.
    Failed(DnsFailure),
}

/// One level of the walk: the domain whose `_dmarc` name was asked, and the answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Level {
    pub domain: DnsName,
    pub found: Found,
}

impl Level {
    fn record(&self) -> Option<&DmarcRecord> {
        match &self.found {
            Found::Record(record) => Some(record),
            _ => None,
        }
    }
}

/// Why the walk ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// A single record with `psd=y` or `psd=n` (§4.10 steps 2 and 6: "stop").
    PsdTag,
    /// No labels left (the single-label name was asked).
    Exhausted,
    /// A query failed.
    Failure,
}

/// Which of discovery's questions failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Question {
    /// The TXT query at `_dmarc.<domain>` (a level of the walk).
    PolicyRecord,
    /// The TXT query at the domain itself, asked to learn whether it exists (sp or np).
    Existence,
}

/// A DNS failure during discovery: no conclusion can be drawn from it (§5.3.6: "the
/// message cannot be considered to pass or fail").
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {failure}", describe(*question, domain))]
pub struct Inconclusive {
    pub domain: DnsName,
    pub question: Question,
    pub failure: DnsFailure,
}

fn describe(question: Question, domain: &DnsName) -> String {
    match question {
        Question::PolicyRecord => format!("the DMARC query at _dmarc.{domain} failed"),
        Question::Existence => format!("the query asking whether {domain} exists failed"),
    }
}

/// Why discovery could not start or finish.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DiscoveryError {
    #[error("not a domain name: {0}")]
    InvalidDomain(NameError),
    #[error("the root is not a domain to discover a policy for")]
    Root,
    #[error(transparent)]
    Inconclusive(#[from] Inconclusive),
}

/// One DNS Tree Walk (§4.10), from its starting domain up.
#[derive(Clone, Debug, PartialEq)]
pub struct Walk {
    /// The domain the walk started at (the Author Domain or an Authenticated Identifier).
    pub start: DnsName,
    /// The levels in the order asked; the first is `start` itself.
    pub levels: Vec<Level>,
    pub stop: Stop,
}

/// The `_dmarc` names a walk from `start` asks when nothing stops it, in order (§4.10 steps
/// 3, 4 and 7): `start`, then (over 7 labels) its last 7 labels, then one label less each time
/// down to the single-label name. Never more than [`MAX_QUERIES`].
pub fn walk_targets(start: &DnsName) -> Vec<DnsName> {
    let labels: Vec<&[u8]> = start.labels().collect();
    let count = labels.len();
    if count == 0 {
        return Vec::new();
    }
    let mut targets = vec![start.clone()];
    // Step 4: "If x < 8, remove the left-most label. If x >= 8, remove ... until 7 labels
    // remain"; both mean at most 7 labels for the second query.
    let mut keep = (count - 1).min(JUMP_TO_LABELS);
    while keep > 0 {
        // Every suffix of a valid name is a valid name.
        if let Ok(name) = DnsName::from_labels(&labels[count - keep..]) {
            targets.push(name);
        }
        keep -= 1;
    }
    targets
}

/// What the TXT answer at one `_dmarc` name holds for the walk (§4.10 steps 2 and 6).
fn classify(answer: Answer) -> Found {
    match answer {
        Answer::Failure(failure) => Found::Failed(failure),
        Answer::NxDomain | Answer::NoData => Found::NoRecord,
        Answer::Records(records) => {
            let dmarc: Vec<Vec<u8>> = records
                .iter()
                .filter_map(Rdata::txt_joined)
                .filter(|text| has_valid_version(text))
                .collect();
            match dmarc.as_slice() {
                [] => Found::NoRecord,
                [one] => Found::Record(Box::new(DmarcRecord::parse(one))),
                many => Found::Multiple(many.len()),
            }
        }
    }
}

/// `psd=y` or `psd=n`; `psd=u` is the default and says nothing (§4.7).
fn psd_flag(record: &DmarcRecord) -> Option<char> {
    record.psd.filter(|c| matches!(c, 'y' | 'n'))
}

/// Walk the DNS tree from `start` (§4.10), each query through the resolver's shared cache.
/// Stops at the first single record with `psd=y` or `psd=n`, at a failed query, or after the
/// single-label name; a record without a `psd` flag does not stop it (§4.10 step 6).
pub async fn tree_walk(resolver: &Resolver, start: &DnsName) -> Walk {
    let mut levels = Vec::new();
    let mut stop = Stop::Exhausted;
    for domain in walk_targets(start) {
        let found = match domain.child(b"_dmarc") {
            Ok(name) => classify(resolver.lookup_name(&name, RecordType::Txt).await),
            Err(_) => Found::Unaskable,
        };
        let ends = match &found {
            Found::Failed(_) => Some(Stop::Failure),
            Found::Record(record) if psd_flag(record).is_some() => Some(Stop::PsdTag),
            _ => None,
        };
        levels.push(Level { domain, found });
        if let Some(end) = ends {
            stop = end;
            break;
        }
    }
    Walk {
        start: start.clone(),
        levels,
        stop,
    }
}

/// How §4.10.2 chose the Organizational Domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrgRule {
    /// Rule 1: a record with `psd=n` is the Organizational Domain.
    PsdNo,
    /// Rule 2: a record with `psd=y` (not at the walk's start): the domain one label below it.
    BelowPsd,
    /// Rule 3: the record found at the name with the fewest labels.
    FewestLabels,
    /// No record found: "the initial target domain is the Organizational Domain".
    StartDomain,
}

/// The Organizational Domain a walk determines (§4.10.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgDomain {
    pub domain: DnsName,
    pub rule: OrgRule,
    /// For [`OrgRule::BelowPsd`]: the Public Suffix Domain that published `psd=y`.
    pub psd: Option<DnsName>,
}

impl Walk {
    /// The failure that ended the walk, if one did.
    pub fn failure(&self) -> Option<Inconclusive> {
        self.levels.iter().find_map(|level| match &level.found {
            Found::Failed(failure) => Some(Inconclusive {
                domain: level.domain.clone(),
                question: Question::PolicyRecord,
                failure: failure.clone(),
            }),
            _ => None,
        })
    }

    /// The walk's record at `domain`, if it found one there.
    pub fn record_at(&self, domain: &DnsName) -> Option<&DmarcRecord> {
        self.levels
            .iter()
            .find(|level| &level.domain == domain)
            .and_then(Level::record)
    }

    /// The Organizational Domain (§4.10.2): over the domains with a record, from the longest
    /// to the shortest, `psd=n` there, else `psd=y` (not at the start) one label below, else
    /// the fewest labels; no record: the start. Inconclusive when a query failed.
    pub fn organizational_domain(&self) -> Result<OrgDomain, Inconclusive> {
        if let Some(failure) = self.failure() {
            return Err(failure);
        }
        for (index, level) in self.levels.iter().enumerate() {
            let Some(record) = level.record() else {
                continue;
            };
            match psd_flag(record) {
                Some('n') => {
                    return Ok(OrgDomain {
                        domain: level.domain.clone(),
                        rule: OrgRule::PsdNo,
                        psd: None,
                    });
                }
                // "other than the one for the domain where the tree walk started".
                Some('y') if index > 0 => {
                    return Ok(OrgDomain {
                        domain: self.one_label_below(&level.domain),
                        rule: OrgRule::BelowPsd,
                        psd: Some(level.domain.clone()),
                    });
                }
                _ => {}
            }
        }
        // Levels are asked from the most labels to the fewest: the last record is rule 3's.
        Ok(
            match self.levels.iter().rev().find(|l| l.record().is_some()) {
                Some(level) => OrgDomain {
                    domain: level.domain.clone(),
                    rule: OrgRule::FewestLabels,
                    psd: None,
                },
                None => OrgDomain {
                    domain: self.start.clone(),
                    rule: OrgRule::StartDomain,
                    psd: None,
                },
            },
        )
    }

    /// The ancestor-or-self of the start with one label more than `ancestor` ("the domain one
    /// label below this one in the DNS hierarchy", on the path to the start).
    fn one_label_below(&self, ancestor: &DnsName) -> DnsName {
        let labels: Vec<&[u8]> = self.start.labels().collect();
        let keep = (ancestor.labels().count() + 1).min(labels.len());
        DnsName::from_labels(&labels[labels.len() - keep..]).unwrap_or_else(|_| self.start.clone())
    }
}

/// The tag whose policy applies to the Author Domain (§4.10.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyTag {
    /// The Author Domain's own record.
    P,
    /// An existing subdomain of the Organizational or Public Suffix Domain.
    Sp,
    /// A subdomain that does not exist (NXDOMAIN, §3.2.13).
    Np,
}

/// Which record §4.10.1 applies, in its order of preference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicySource {
    AuthorDomain,
    OrganizationalDomain,
    PublicSuffixDomain,
}

/// The record applied to mail from an Author Domain and what it says to do with failing mail.
#[derive(Clone, Debug, PartialEq)]
pub struct AppliedPolicy {
    pub source: PolicySource,
    /// The DMARC Policy Domain: where the record is published, without `_dmarc.`.
    pub domain: DnsName,
    pub record: DmarcRecord,
    /// The tag that applies by position (author, existing or non-existent subdomain).
    pub tag: PolicyTag,
    /// The tag whose value was used: `np` falls back to `sp`, then `p`; `sp` to `p` (§4.7).
    pub read_from: PolicyTag,
    /// The Domain Owner Assessment Policy; `None` when the record is unusable and receivers
    /// apply no DMARC (§4.10.1: no valid `p` and no valid `rua`).
    pub policy: Option<Policy>,
    /// What RFC 9989 receivers make of the record.
    pub outcome: Outcome,
}

impl AppliedPolicy {
    /// What an RFC 9989 receiver applies to failing mail: the assessment policy, one level
    /// weaker with `t=y` (§4.7 t: "if the policy is "reject" and the value of the "t" tag is
    /// "y", a policy of "quarantine" will be applied"; none stays none).
    pub fn failing_mail_policy(&self) -> Option<Policy> {
        let policy = self.policy?;
        if self.record.testing != Some(true) {
            return Some(policy);
        }
        Some(policy.one_level_weaker())
    }
}

/// The outcome of RFC 9989 policy discovery for one Author Domain.
#[derive(Clone, Debug, PartialEq)]
pub struct Discovery {
    pub author_domain: DnsName,
    pub walk: Walk,
    pub organizational_domain: OrgDomain,
    /// `None`: no DMARC Policy Record applies, so receivers "MUST NOT apply the DMARC
    /// mechanism" (§4.10.1).
    pub applied: Option<AppliedPolicy>,
    /// Whether the Author Domain exists, when it had to be asked (the record applied is not
    /// its own): its own TXT query, NXDOMAIN meaning it does not (§3.2.13, RFC 8020).
    pub author_exists: Option<bool>,
}

/// The policy of `record` for `tag`, by RFC 9989: a missing or invalid `p`, `sp` or `np`
/// with a valid `rua` reads as `p=none`; without one, no policy (§4.10.1).
fn assessment(record: &DmarcRecord, tag: PolicyTag) -> (PolicyTag, Option<Policy>) {
    let outcome = record.outcome(Reading::Dmarcbis);
    let Some(p) = record.policy(Reading::Dmarcbis) else {
        return (tag, None);
    };
    if outcome == Outcome::FallbackNone {
        return (tag, Some(Policy::None));
    }
    // §4.7 np: "If the np tag is absent, the policy specified by the sp tag (if the sp tag
    // is present) or the policy specified by the p tag ... MUST be applied".
    let chain: &[PolicyTag] = match tag {
        PolicyTag::P => &[PolicyTag::P],
        PolicyTag::Sp => &[PolicyTag::Sp, PolicyTag::P],
        PolicyTag::Np => &[PolicyTag::Np, PolicyTag::Sp, PolicyTag::P],
    };
    chain
        .iter()
        .find_map(|t| {
            let value = match t {
                PolicyTag::P => Some(p),
                PolicyTag::Sp => record.sp,
                PolicyTag::Np => record.np,
            };
            value.map(|v| (*t, Some(v)))
        })
        .unwrap_or((PolicyTag::P, Some(p)))
}

/// Whether `domain` exists: NXDOMAIN for its own TXT query says it does not (§3.2.13 takes
/// the RFC 8020 meaning). TXT is the query the domain audit asks anyway, so it is cached.
/// An alias whose chain ends at a name that does not exist exists itself (Appendix A.4: "if
/// any RR exists for a domain, then the domain exists"): the resolver answers it NoData.
async fn exists(resolver: &Resolver, domain: &DnsName) -> Result<bool, Inconclusive> {
    match resolver.lookup_name(domain, RecordType::Txt).await {
        Answer::NxDomain => Ok(false),
        Answer::Records(_) | Answer::NoData => Ok(true),
        Answer::Failure(failure) => Err(Inconclusive {
            domain: domain.clone(),
            question: Question::Existence,
            failure,
        }),
    }
}

/// Parse the text form of a domain for discovery.
pub fn parse_domain(domain: &str) -> Result<DnsName, DiscoveryError> {
    let name = DnsName::parse(domain).map_err(DiscoveryError::InvalidDomain)?;
    if name.is_root() {
        return Err(DiscoveryError::Root);
    }
    Ok(name)
}

/// RFC 9989 policy discovery for `author` (§4.10.1): the Author Domain's record, else its
/// Organizational Domain's, else its Public Suffix Domain's; `p` for the author's own record,
/// else `sp` (existing subdomain) or `np` (NXDOMAIN).
///
/// One walk serves both §4.10.1 and §4.10.2: its first query is the Author Domain's own,
/// and the walk from the parent that §4.10.1 asks for when that finds nothing is the rest of
/// the same walk.
pub async fn discover_policy(
    resolver: &Resolver,
    author: &str,
) -> Result<Discovery, DiscoveryError> {
    let author = parse_domain(author)?;
    let walk = tree_walk(resolver, &author).await;
    let organizational_domain = walk.organizational_domain()?;
    let own = walk.levels.first().and_then(Level::record);
    let chosen = match own {
        Some(record) => Some((PolicySource::AuthorDomain, author.clone(), record)),
        None => walk
            .record_at(&organizational_domain.domain)
            .map(|r| {
                (
                    PolicySource::OrganizationalDomain,
                    organizational_domain.domain.clone(),
                    r,
                )
            })
            .or_else(|| {
                let psd = organizational_domain.psd.as_ref()?;
                let record = walk.record_at(psd)?;
                Some((PolicySource::PublicSuffixDomain, psd.clone(), record))
            }),
    };
    let mut author_exists = None;
    let applied = match chosen {
        None => None,
        Some((source, domain, record)) => {
            let tag = if source == PolicySource::AuthorDomain {
                PolicyTag::P
            } else if exists(resolver, &author).await? {
                author_exists = Some(true);
                PolicyTag::Sp
            } else {
                author_exists = Some(false);
                PolicyTag::Np
            };
            let (read_from, policy) = assessment(record, tag);
            Some(AppliedPolicy {
                source,
                domain,
                record: record.clone(),
                tag,
                read_from,
                policy,
                outcome: record.outcome(Reading::Dmarcbis),
            })
        }
    };
    Ok(Discovery {
        author_domain: author,
        organizational_domain,
        applied,
        author_exists,
        walk,
    })
}

/// The RFC 9989 Organizational Domain of `domain` (one walk, §4.10.2).
pub async fn organizational_domain_rfc9989(
    resolver: &Resolver,
    domain: &str,
) -> Result<OrgDomain, DiscoveryError> {
    let start = parse_domain(domain)?;
    Ok(tree_walk(resolver, &start).await.organizational_domain()?)
}

/// Relaxed alignment by RFC 9989 (§4.10.2): whether `a` and `b` have the same
/// Organizational Domain, one walk each (their queries shared through the resolver's cache).
pub async fn same_organization_rfc9989(
    resolver: &Resolver,
    a: &str,
    b: &str,
) -> Result<bool, DiscoveryError> {
    let (a, b) = tokio::join!(
        organizational_domain_rfc9989(resolver, a),
        organizational_domain_rfc9989(resolver, b)
    );
    Ok(a?.domain == b?.domain)
}
