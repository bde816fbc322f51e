//! The DMARC outcome simulation (SPEC §4.7): what a receiver's DMARC check would make of the
//! campaign's mail, per sending IP, from facts the domain audit measured. No DNS here: the
//! SPF results, the DKIM key record and the DMARC record come from the domain audits of the
//! envelope, signing and From domains, and the RFC 9989 policy discovery and tree walks from
//! the caller (through the run's cache, so they ask nothing the audits did not).
//!
//! Two receiver models decide side by side: RFC 9989 (the DNS Tree Walk: policy discovery
//! §4.10.1, organizational domains §4.10.2 for relaxed alignment, `t=y`, no `pct`), which the
//! simulation's verdict follows, and RFC 7489 (the Public Suffix List, `pct`), which receivers
//! will run for years beside it.

use crate::campaign::rules::DMARC_WOULD_FAIL;
use crate::dkim::audit::DkimFacts;
use crate::dkim::{PublicKey, parse_key_record};
use crate::dmarc::discovery::{Discovery, DiscoveryError, OrgDomain, PolicyTag};
use crate::dmarc::rules::RECEIVERS_DISAGREE;
use crate::dmarc::{Alignment, DmarcFacts, Policy, ReceiverStatus};
use crate::dns::orgdomain::{organizational_domain, same_organization};
use crate::finding::Finding;
use crate::rules::Rules;
use crate::spf::check_host::SpfResult;
use serde::Serialize;
use std::net::IpAddr;

/// What mailaudit assumes about DKIM, since it does not sign the campaign's mail.
pub const DKIM_ASSUMPTION: &str = "mailaudit does not sign the campaign's mail: a published key that receivers can use is assumed to produce a passing DKIM signature";

/// RSA keys under this many bits are not valid for verification (RFC 8301 §3.2).
const MIN_RSA_BITS: u32 = 1024;

/// Whether the campaign's DKIM key could verify a signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    /// Published and usable: a signature with it is assumed to pass.
    Usable,
    /// Nothing published at the selector.
    Missing,
    /// Published, but receivers cannot verify with it (reason given).
    Unusable,
    /// The query failed: DKIM would be temperror.
    Unknown,
}

/// The campaign's DKIM key as a receiver would find it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DkimKey {
    /// `SELECTOR._domainkey.DOMAIN`.
    pub name: String,
    pub status: KeyStatus,
    /// Why the key is not usable, or what to know about a usable one (testing mode).
    pub note: Option<String>,
    pub key_type: Option<String>,
    pub key_bits: Option<u32>,
}

impl DkimKey {
    /// Judge the key of `selector` from the signing domain's DKIM audit. A selector without a
    /// record is missing, unless the query failed (`failed`: a `dns/inconclusive` of the
    /// domain's audit names the key).
    pub fn from_audit(facts: &DkimFacts, selector: &str, name: &str, failed: bool) -> DkimKey {
        let mut key = DkimKey {
            name: name.to_string(),
            status: KeyStatus::Missing,
            note: None,
            key_type: None,
            key_bits: None,
        };
        let record = facts
            .selectors
            .iter()
            .find(|s| s.selector == selector)
            .and_then(|s| s.record.as_deref());
        let Some(record) = record else {
            if failed {
                key.status = KeyStatus::Unknown;
                key.note = Some(format!("the DNS query for {name} failed"));
            } else {
                key.note = Some(format!("no DKIM key is published at {name}"));
            }
            return key;
        };
        let unusable = |key: &mut DkimKey, why: String| {
            key.status = KeyStatus::Unusable;
            key.note = Some(why);
        };
        let parsed = match parse_key_record(record.as_bytes()) {
            Ok(parsed) => parsed,
            Err(error) => {
                unusable(
                    &mut key,
                    format!("the key record at {name} does not parse: {error}"),
                );
                return key;
            }
        };
        key.key_type = Some(parsed.key_type.as_str().to_string());
        match &parsed.key {
            PublicKey::Revoked => {
                unusable(&mut key, format!("the key at {name} is revoked (empty p=)"));
                return key;
            }
            PublicKey::Invalid { error } => {
                unusable(
                    &mut key,
                    format!("p= at {name} is not a usable key: {error}"),
                );
                return key;
            }
            PublicKey::Ed25519 { .. } => key.key_bits = Some(256),
            PublicKey::Rsa { bits, .. } => {
                key.key_bits = Some(*bits);
                if *bits < MIN_RSA_BITS {
                    unusable(
                        &mut key,
                        format!(
                            "the RSA key at {name} is {bits} bits; receivers do not verify with keys under {MIN_RSA_BITS} bits (RFC 8301)"
                        ),
                    );
                    return key;
                }
            }
        }
        if !parsed.allows_hash("sha256") {
            unusable(
                &mut key,
                format!("the key at {name} does not allow sha256 (h=), the hash receivers require"),
            );
        } else if !parsed.allows_email() {
            unusable(
                &mut key,
                format!("the key at {name} is limited to services other than email (s=)"),
            );
        } else {
            key.status = KeyStatus::Usable;
            if parsed.is_testing() {
                key.note = Some(format!(
                    "the key at {name} is in testing mode (t=y): some receivers treat its signatures as absent"
                ));
            }
        }
        key
    }
}

/// What receivers conclude for one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DmarcResult {
    Pass,
    Fail,
    /// A DNS failure leaves the result open; receivers typically defer.
    #[serde(rename = "temperror")]
    TempError,
    /// No DMARC record applies to the From domain: receivers do not evaluate DMARC.
    None,
}

impl DmarcResult {
    pub fn as_str(self) -> &'static str {
        match self {
            DmarcResult::Pass => "pass",
            DmarcResult::Fail => "fail",
            DmarcResult::TempError => "temperror",
            DmarcResult::None => "none",
        }
    }

    /// Worst first: fail, then temperror, then none, then pass.
    fn rank(self) -> u8 {
        match self {
            DmarcResult::Fail => 3,
            DmarcResult::TempError => 2,
            DmarcResult::None => 1,
            DmarcResult::Pass => 0,
        }
    }
}

/// The policy a receiver applies to the From domain's failing mail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AppliedPolicy {
    /// The tag it comes from: `p`, `sp` (a subdomain without its own record) or `np` (a
    /// subdomain that does not exist).
    pub tag: &'static str,
    /// What is applied to failing mail (for RFC 9989 with `t=y`, one level weaker than asked).
    pub policy: Policy,
    /// RFC 7489 `pct`; always 100 for RFC 9989, which removed it.
    pub pct: u8,
    /// With pct under 100: the policy the mail outside the sample gets.
    pub otherwise: Option<Policy>,
    /// RFC 9989 `t=y` (§4.7): the policy the record asks for, applied one level weaker.
    pub testing: Option<Policy>,
    /// Where the record is published (`_dmarc.DOMAIN`).
    pub location: Option<String>,
}

impl AppliedPolicy {
    /// `reject`, `reject for 50% of failing mail, quarantine for the rest`, or
    /// `p=reject applied as quarantine (t=y)`.
    pub fn describe(&self) -> String {
        if let Some(asked) = self.testing {
            return format!(
                "{}={} applied as {} (t=y, testing)",
                self.tag,
                asked.as_str(),
                self.policy.as_str()
            );
        }
        let tag = format!("{}={}", self.tag, self.policy.as_str());
        match self.otherwise {
            Some(rest) => format!(
                "{tag} to {}% of failing mail and {} to the rest (pct={})",
                self.pct,
                rest.as_str(),
                self.pct
            ),
            None => tag,
        }
    }
}

/// One receiver model's view of the campaign: the record it applies, the organizational
/// domains it aligns by, and its verdict over the sending IPs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReceiverSimulation {
    /// The DMARC record applied to the From domain.
    pub record: Option<String>,
    /// The domain whose `_dmarc` record applies (no `_dmarc.` prefix).
    pub policy_domain: Option<String>,
    /// The From domain's organizational domain in this model; null when it is unknown.
    pub organizational_domain: Option<String>,
    /// The envelope domain's organizational domain.
    pub spf_organizational_domain: Option<String>,
    /// The signing domain's organizational domain.
    pub dkim_organizational_domain: Option<String>,
    pub aspf: Alignment,
    pub adkim: Alignment,
    /// The envelope domain is aligned with From; null when a query it depends on failed.
    pub spf_aligned: Option<bool>,
    /// The signing domain is aligned with From; null when a query it depends on failed.
    pub dkim_aligned: Option<bool>,
    pub policy: Option<AppliedPolicy>,
    /// A query of policy discovery failed: the policy is unknown, not absent.
    pub policy_unknown: bool,
    /// The worst outcome over the IPs.
    pub verdict: DmarcResult,
}

/// Both models' views.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReceiverSimulations {
    pub rfc9989: ReceiverSimulation,
    pub rfc7489: ReceiverSimulation,
}

/// What one receiver model concludes for the mail from one IP.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IpReceiver {
    pub dmarc: DmarcResult,
    /// `deliver`, the policy applied on failure, or `undetermined (temperror)`.
    pub disposition: String,
    pub spf_aligned_pass: bool,
    pub dkim_aligned_pass: bool,
    pub policy_domain: Option<String>,
    pub organizational_domain: Option<String>,
}

/// Both models' conclusions for one IP.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IpReceivers {
    pub rfc9989: IpReceiver,
    pub rfc7489: IpReceiver,
}

impl IpReceivers {
    /// The two models treat this IP's mail differently. A side that could not conclude
    /// (temperror) differs from nothing: `dns/inconclusive` says why.
    pub fn differ(&self) -> bool {
        let concluded = |r: &IpReceiver| r.dmarc != DmarcResult::TempError;
        concluded(&self.rfc9989)
            && concluded(&self.rfc7489)
            && (self.rfc9989.dmarc != self.rfc7489.dmarc
                || self.rfc9989.disposition != self.rfc7489.disposition)
    }
}

/// The simulated outcome for one sending IP. `dmarc`, `disposition` and the aligned passes
/// are those of an RFC 9989 receiver; `receivers` has both models.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IpOutcome {
    pub ip: IpAddr,
    /// check_host() for the IP and the envelope sender; absent when it was not evaluated.
    pub spf: Option<SpfResult>,
    /// SPF passes for a domain aligned with From.
    pub spf_aligned_pass: bool,
    /// DKIM (assumed to) pass for a domain aligned with From.
    pub dkim_aligned_pass: bool,
    pub dmarc: DmarcResult,
    /// What a receiver does with the message: `deliver`, or the policy applied on failure.
    pub disposition: String,
    pub receivers: IpReceivers,
}

/// The whole simulation: the alignment facts and the outcome per sending IP. The top-level
/// record, alignment, policy and verdict are an RFC 9989 receiver's; `receivers` has both.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Simulation {
    pub from_domain: String,
    /// The envelope domain: SPF is checked for it.
    pub spf_domain: String,
    /// The signing domain (`d=`).
    pub dkim_domain: String,
    /// The DMARC record that applies to the From domain.
    pub record: Option<String>,
    pub aspf: Alignment,
    pub adkim: Alignment,
    /// The envelope domain is aligned with From under `aspf`.
    pub spf_aligned: bool,
    /// The signing domain is aligned with From under `adkim`.
    pub dkim_aligned: bool,
    pub dkim_key: DkimKey,
    pub dkim_assumption: &'static str,
    /// Absent when no DMARC policy applies to the From domain, or when it is unknown.
    pub policy: Option<AppliedPolicy>,
    /// The DMARC record could not be looked up (a query failed): the policy is unknown, not
    /// absent.
    pub policy_unknown: bool,
    pub ips: Vec<IpOutcome>,
    /// The worst outcome over the IPs: fail, then temperror, then none, then pass.
    pub verdict: DmarcResult,
    pub receivers: ReceiverSimulations,
}

/// What RFC 9989 discovery found for the campaign's domains: the From domain's policy
/// discovery (§4.10.1) and the organizational domains of the envelope and signing domains
/// (§4.10.2), one tree walk each.
#[derive(Clone, Debug)]
pub struct Rfc9989Input {
    pub from: Result<Discovery, DiscoveryError>,
    pub spf_domain: Result<OrgDomain, DiscoveryError>,
    pub dkim_domain: Result<OrgDomain, DiscoveryError>,
}

/// Everything the simulation reads.
#[derive(Clone, Debug)]
pub struct SimulationInput<'a> {
    pub from_domain: &'a str,
    pub spf_domain: &'a str,
    pub dkim_domain: &'a str,
    /// check_host() per sending IP (None: not evaluated).
    pub spf: Vec<(IpAddr, Option<SpfResult>)>,
    pub dkim_key: DkimKey,
    /// The From domain's DMARC audit (RFC 7489 facts); None when it did not run.
    pub dmarc: Option<&'a DmarcFacts>,
    /// Whether the From domain exists (None: unknown), for RFC 7489. Only asked for a
    /// subdomain without a record of its own, where a non-existent one gets `np`.
    pub from_exists: Option<bool>,
    /// RFC 9989 discovery; None when it did not run (the policy is then unknown).
    pub rfc9989: Option<&'a Rfc9989Input>,
}

fn norm(domain: &str) -> String {
    domain.trim_end_matches('.').to_ascii_lowercase()
}

/// Identifier alignment by RFC 7489 (§3.1): strict is the same name, relaxed the same
/// organizational domain by the Public Suffix List.
pub fn aligned(mode: Alignment, domain: &str, from: &str) -> bool {
    match mode {
        Alignment::Strict => norm(domain) == norm(from),
        Alignment::Relaxed => same_organization(domain, from),
    }
}

/// The RFC 7489 policy that applies to the From domain, if any DMARC record does.
fn applied_policy_rfc7489(dmarc: &DmarcFacts, from_exists: Option<bool>) -> Option<AppliedPolicy> {
    let mut policy = dmarc.policy?;
    let mut tag = if dmarc.inherited { "sp" } else { "p" };
    if dmarc.inherited
        && from_exists == Some(false)
        && let Some(np) = dmarc.np
    {
        policy = np;
        tag = "np";
    }
    let pct = dmarc.pct.unwrap_or(100).min(100);
    let otherwise = (pct < 100).then_some(policy.one_level_weaker());
    Some(AppliedPolicy {
        tag,
        policy,
        pct,
        otherwise: otherwise.filter(|rest| *rest != policy),
        testing: None,
        location: dmarc.location.clone(),
    })
}

/// The RFC 7489 model: the From domain's audit, alignment by the Public Suffix List.
fn model_rfc7489(input: &SimulationInput<'_>) -> ReceiverSimulation {
    let dmarc = input.dmarc;
    let answer = dmarc.map(|d| &d.receivers.rfc7489);
    let concluded = answer.is_some_and(|a| a.status == ReceiverStatus::Concluded);
    let aspf = dmarc.and_then(|d| d.aspf).unwrap_or_default();
    let adkim = dmarc.and_then(|d| d.adkim).unwrap_or_default();
    let policy = dmarc
        .filter(|_| concluded)
        .and_then(|d| applied_policy_rfc7489(d, input.from_exists));
    let org = |domain: &str| organizational_domain(&norm(domain)).or_else(|| Some(norm(domain)));
    ReceiverSimulation {
        record: dmarc.filter(|_| concluded).and_then(|d| d.record.clone()),
        policy_domain: answer.and_then(|a| a.policy_domain.clone()),
        organizational_domain: answer.and_then(|a| a.organizational_domain.clone()),
        spf_organizational_domain: org(input.spf_domain),
        dkim_organizational_domain: org(input.dkim_domain),
        aspf,
        adkim,
        spf_aligned: Some(aligned(aspf, input.spf_domain, input.from_domain)),
        dkim_aligned: Some(aligned(adkim, input.dkim_domain, input.from_domain)),
        policy_unknown: policy.is_none() && !concluded,
        policy,
        verdict: DmarcResult::None,
    }
}

/// The RFC 9989 model: policy discovery (§4.10.1) and alignment by the organizational
/// domains of tree walks (§4.10.2). A walk that failed leaves its alignment unknown.
fn model_rfc9989(input: &SimulationInput<'_>) -> ReceiverSimulation {
    let mut model = ReceiverSimulation {
        record: None,
        policy_domain: None,
        organizational_domain: None,
        spf_organizational_domain: None,
        dkim_organizational_domain: None,
        aspf: Alignment::default(),
        adkim: Alignment::default(),
        spf_aligned: None,
        dkim_aligned: None,
        policy: None,
        policy_unknown: true,
        verdict: DmarcResult::None,
    };
    let Some(rfc9989) = input.rfc9989 else {
        return model;
    };
    let org_of = |walk: &Result<OrgDomain, DiscoveryError>| match walk {
        Ok(org) => Ok(Some(org.domain.to_string())),
        // Not a name a record can be published for: it aligns with nothing.
        Err(DiscoveryError::InvalidDomain(_) | DiscoveryError::Root) => Ok(None),
        Err(DiscoveryError::Inconclusive(_)) => Err(()),
    };
    let from_org = match &rfc9989.from {
        Ok(discovery) => {
            model.policy_unknown = false;
            if let Some(applied) = &discovery.applied {
                let record = &applied.record;
                model.record = Some(record.text.clone());
                model.aspf = record.aspf.unwrap_or_default();
                model.adkim = record.adkim.unwrap_or_default();
                model.policy_domain = applied.policy.map(|_| applied.domain.to_string());
                model.policy = applied.failing_mail_policy().map(|policy| AppliedPolicy {
                    // As for RFC 7489: `sp` for a subdomain, `np` only when np is given.
                    tag: match (applied.tag, applied.read_from) {
                        (PolicyTag::P, _) => "p",
                        (PolicyTag::Np, PolicyTag::Np) => "np",
                        _ => "sp",
                    },
                    policy,
                    pct: 100,
                    otherwise: None,
                    testing: applied.policy.filter(|asked| *asked != policy),
                    location: Some(format!("_dmarc.{}", applied.domain)),
                });
            }
            Ok(Some(discovery.organizational_domain.domain.to_string()))
        }
        Err(DiscoveryError::InvalidDomain(_) | DiscoveryError::Root) => {
            model.policy_unknown = false;
            Ok(None)
        }
        Err(DiscoveryError::Inconclusive(_)) => Err(()),
    };
    let spf_org = org_of(&rfc9989.spf_domain);
    let dkim_org = org_of(&rfc9989.dkim_domain);
    let aligned = |mode: Alignment, domain: &str, org: &Result<Option<String>, ()>| match mode {
        Alignment::Strict => Some(norm(domain) == norm(input.from_domain)),
        Alignment::Relaxed => match (&from_org, org) {
            (Ok(Some(from)), Ok(Some(other))) => Some(from == other),
            (Ok(None), _) | (_, Ok(None)) => Some(false),
            _ => None,
        },
    };
    model.spf_aligned = aligned(model.aspf, input.spf_domain, &spf_org);
    model.dkim_aligned = aligned(model.adkim, input.dkim_domain, &dkim_org);
    model.organizational_domain = from_org.ok().flatten();
    model.spf_organizational_domain = spf_org.ok().flatten();
    model.dkim_organizational_domain = dkim_org.ok().flatten();
    model
}

/// What `model` concludes for mail from one IP whose SPF result is `spf`.
fn conclude(model: &ReceiverSimulation, spf: Option<SpfResult>, key: &DkimKey) -> IpReceiver {
    let spf_aligned_pass = model.spf_aligned == Some(true) && spf == Some(SpfResult::Pass);
    let key_usable = key.status == KeyStatus::Usable;
    let dkim_aligned_pass = model.dkim_aligned == Some(true) && key_usable;
    // A pass that an unknown alignment hides: the result cannot be concluded.
    let alignment_unknown = (model.spf_aligned.is_none() && spf == Some(SpfResult::Pass))
        || (model.dkim_aligned.is_none() && key_usable);
    let dmarc = if spf_aligned_pass || dkim_aligned_pass {
        if model.policy.is_some() {
            DmarcResult::Pass
        } else if model.policy_unknown {
            DmarcResult::TempError
        } else {
            DmarcResult::None
        }
    } else if model.policy_unknown
        || alignment_unknown
        || spf == Some(SpfResult::TempError)
        || key.status == KeyStatus::Unknown
    {
        DmarcResult::TempError
    } else if model.policy.is_none() {
        DmarcResult::None
    } else {
        DmarcResult::Fail
    };
    let disposition = match (&model.policy, dmarc) {
        (Some(policy), DmarcResult::Fail) => policy.describe(),
        (_, DmarcResult::TempError) => "undetermined (temperror)".to_string(),
        _ => "deliver".to_string(),
    };
    IpReceiver {
        dmarc,
        disposition,
        spf_aligned_pass,
        dkim_aligned_pass,
        policy_domain: model.policy_domain.clone(),
        organizational_domain: model.organizational_domain.clone(),
    }
}

fn verdict(results: impl Iterator<Item = DmarcResult>) -> DmarcResult {
    results
        .max_by_key(|r| r.rank())
        .unwrap_or(DmarcResult::None)
}

/// Run the simulation.
pub fn simulate(input: &SimulationInput<'_>) -> Simulation {
    let mut rfc9989 = model_rfc9989(input);
    let mut rfc7489 = model_rfc7489(input);
    let ips: Vec<IpOutcome> = input
        .spf
        .iter()
        .map(|(ip, spf)| {
            let receivers = IpReceivers {
                rfc9989: conclude(&rfc9989, *spf, &input.dkim_key),
                rfc7489: conclude(&rfc7489, *spf, &input.dkim_key),
            };
            IpOutcome {
                ip: *ip,
                spf: *spf,
                spf_aligned_pass: receivers.rfc9989.spf_aligned_pass,
                dkim_aligned_pass: receivers.rfc9989.dkim_aligned_pass,
                dmarc: receivers.rfc9989.dmarc,
                disposition: receivers.rfc9989.disposition.clone(),
                receivers,
            }
        })
        .collect();
    rfc9989.verdict = verdict(ips.iter().map(|o| o.receivers.rfc9989.dmarc));
    rfc7489.verdict = verdict(ips.iter().map(|o| o.receivers.rfc7489.dmarc));
    Simulation {
        from_domain: input.from_domain.to_string(),
        spf_domain: input.spf_domain.to_string(),
        dkim_domain: input.dkim_domain.to_string(),
        record: rfc9989.record.clone(),
        aspf: rfc9989.aspf,
        adkim: rfc9989.adkim,
        spf_aligned: rfc9989.spf_aligned == Some(true),
        dkim_aligned: rfc9989.dkim_aligned == Some(true),
        dkim_key: input.dkim_key.clone(),
        dkim_assumption: DKIM_ASSUMPTION,
        policy: rfc9989.policy.clone(),
        policy_unknown: rfc9989.policy_unknown,
        ips,
        verdict: rfc9989.verdict,
        receivers: ReceiverSimulations { rfc9989, rfc7489 },
    }
}

fn mode_tag(tag: &str, mode: Alignment) -> String {
    format!("{tag}={}", mode.as_str())
}

/// Why `domain` is not aligned with From in `model`, in words: "not aligned with FROM
/// (adkim=r)", and for relaxed alignment the two organizational domains.
/// The organizational domains are named when the other model aligns the identifier
/// (`aligned_elsewhere`): that is where the models part.
fn not_aligned(
    model: &ReceiverSimulation,
    (tag, mode): (&str, Alignment),
    other_org: &Option<String>,
    from: &str,
    aligned_elsewhere: bool,
) -> String {
    let how = "the RFC 9989 tree walk";
    let mut why = mode_tag(tag, mode);
    if mode == Alignment::Relaxed
        && aligned_elsewhere
        && let (Some(from_org), Some(other_org)) = (&model.organizational_domain, other_org)
        && from_org != other_org
    {
        why.push_str(&format!(
            ": organizational domains {other_org} and {from_org} by {how}"
        ));
    }
    format!("not aligned with {from} ({why})")
}

/// "an RFC 7489 receiver passes it", "... fails it and applies p=reject".
fn outcome_words(receiver: &IpReceiver) -> String {
    match receiver.dmarc {
        DmarcResult::Pass => "passes it".to_string(),
        DmarcResult::Fail => format!("fails it and applies {}", receiver.disposition),
        DmarcResult::TempError => "cannot conclude (temperror)".to_string(),
        DmarcResult::None => "applies no DMARC policy".to_string(),
    }
}

/// `dmarc/would-fail` for each IP whose mail an RFC 9989 receiver would fail. The findings
/// target the From domain; the caller gives them their location.
pub fn would_fail_findings(rules: &Rules, sim: &Simulation) -> Vec<(IpAddr, Finding)> {
    let Some(policy) = &sim.policy else {
        return Vec::new();
    };
    let from = &sim.from_domain;
    let model = &sim.receivers.rfc9989;
    let legacy = &sim.receivers.rfc7489;
    let spf_part = |outcome: &IpOutcome| {
        let result = outcome.spf.map_or("not evaluated", SpfResult::as_str);
        if outcome.spf == Some(SpfResult::Pass) && !sim.spf_aligned {
            format!(
                "SPF pass for {}, {}",
                sim.spf_domain,
                not_aligned(
                    model,
                    ("aspf", sim.aspf),
                    &model.spf_organizational_domain,
                    from,
                    legacy.spf_aligned == Some(true),
                )
            )
        } else {
            format!("SPF {result} for {}", sim.spf_domain)
        }
    };
    let dkim_part = match sim.dkim_key.status {
        KeyStatus::Usable => format!(
            "DKIM signs as {}, {}",
            sim.dkim_domain,
            not_aligned(
                model,
                ("adkim", sim.adkim),
                &model.dkim_organizational_domain,
                from,
                legacy.dkim_aligned == Some(true),
            )
        ),
        _ => sim
            .dkim_key
            .note
            .clone()
            .unwrap_or_else(|| format!("no usable DKIM key at {}", sim.dkim_key.name)),
    };
    let from_where = policy
        .location
        .as_deref()
        .map(|l| format!(" (from {l})"))
        .unwrap_or_default();
    sim.ips
        .iter()
        .filter(|o| o.dmarc == DmarcResult::Fail)
        .map(|outcome| {
            let mut message = format!(
                "mail from {from} sent from {} would fail DMARC: {}; {}; receivers would apply {}{from_where}",
                outcome.ip,
                spf_part(outcome),
                dkim_part,
                policy.describe(),
            );
            if outcome.receivers.differ() {
                message.push_str(&format!(
                    "; an RFC 7489 receiver {} (see dmarc/receivers-disagree)",
                    outcome_words(&outcome.receivers.rfc7489)
                ));
            }
            let mut finding = rules
                .finding(DMARC_WOULD_FAIL, from, message)
                .with_measured("fail")
                .with_threshold("pass");
            if let Some(record) = &sim.record {
                finding = finding.with_record(record.clone());
            }
            (outcome.ip, finding)
        })
        .collect()
}

/// `dmarc/receivers-disagree` on the campaign when an RFC 9989 and an RFC 7489 receiver
/// would treat the mail of some sending IP differently. The caller gives it its location.
pub fn receivers_disagree_finding(rules: &Rules, sim: &Simulation) -> Option<Finding> {
    let differing: Vec<&IpOutcome> = sim.ips.iter().filter(|o| o.receivers.differ()).collect();
    if differing.is_empty() {
        return None;
    }
    let from = &sim.from_domain;
    let per_ip: Vec<String> = differing
        .iter()
        .map(|o| {
            format!(
                "from {} an RFC 9989 receiver {}, an RFC 7489 receiver {}",
                o.ip,
                outcome_words(&o.receivers.rfc9989),
                outcome_words(&o.receivers.rfc7489)
            )
        })
        .collect();
    let mut message = format!(
        "the receiver models disagree on mail from {from}: {}",
        per_ip.join("; ")
    );
    let (bis, legacy) = (&sim.receivers.rfc9989, &sim.receivers.rfc7489);
    let mut why = Vec::new();
    let mut named: Vec<&str> = Vec::new();
    if bis.policy_domain != legacy.policy_domain {
        let shown = |d: &Option<String>| d.clone().unwrap_or_else(|| "no record".to_string());
        why.push(format!(
            "the record applied is {}'s for RFC 9989 and {}'s for RFC 7489",
            shown(&bis.policy_domain),
            shown(&legacy.policy_domain)
        ));
    }
    for (what, domain, a, b) in [
        (
            "From",
            from.as_str(),
            &bis.organizational_domain,
            &legacy.organizational_domain,
        ),
        (
            "envelope",
            sim.spf_domain.as_str(),
            &bis.spf_organizational_domain,
            &legacy.spf_organizational_domain,
        ),
        (
            "signing",
            sim.dkim_domain.as_str(),
            &bis.dkim_organizational_domain,
            &legacy.dkim_organizational_domain,
        ),
    ] {
        // The envelope or signing domain is often the From domain itself: said once.
        if let (Some(a), Some(b)) = (a, b)
            && a != b
            && !named.contains(&domain)
        {
            named.push(domain);
            why.push(format!(
                "the {what} domain {domain}'s organizational domain is {a} by the RFC 9989 tree walk and {b} by the Public Suffix List"
            ));
        }
    }
    if !why.is_empty() {
        message.push_str(&format!(" ({})", why.join("; ")));
    }
    let measured: Vec<serde_json::Value> = differing
        .iter()
        .map(|o| serde_json::json!({ "ip": o.ip, "rfc9989": o.receivers.rfc9989, "rfc7489": o.receivers.rfc7489 }))
        .collect();
    Some(
        rules
            .finding(RECEIVERS_DISAGREE, from, message)
            .with_measured(serde_json::Value::Array(measured)),
    )
}
