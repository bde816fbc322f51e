//! The DMARC outcome simulation (SPEC §4.7): what a receiver's DMARC check would make of the
//! campaign's mail, per sending IP, from facts the domain audit measured. No DNS here: the
//! SPF results, the DKIM key record and the DMARC record come from the domain audits of the
//! envelope, signing and From domains.

use crate::campaign::rules::DMARC_WOULD_FAIL;
use crate::dkim::audit::DkimFacts;
use crate::dkim::{PublicKey, parse_key_record};
use crate::dmarc::{Alignment, DmarcFacts, Policy};
use crate::dns::orgdomain::same_organization;
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
}

/// The policy a receiver applies to the From domain's failing mail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AppliedPolicy {
    /// The tag it comes from: `p`, `sp` (a subdomain without its own record) or `np` (a
    /// subdomain that does not exist, RFC 9091).
    pub tag: &'static str,
    pub policy: Policy,
    pub pct: u8,
    /// With pct under 100: the policy the mail outside the sample gets.
    pub otherwise: Option<Policy>,
    /// Where the record is published (`_dmarc.DOMAIN`).
    pub location: Option<String>,
}

impl AppliedPolicy {
    /// `reject`, or `reject for 50% of failing mail, quarantine for the rest`.
    pub fn describe(&self) -> String {
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

/// The simulated outcome for one sending IP.
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
}

/// The whole simulation: the alignment facts and the outcome per sending IP.
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
    /// The From domain's DMARC audit; None when it did not run.
    pub dmarc: Option<&'a DmarcFacts>,
    /// Whether the From domain exists (None: unknown). Only asked for a subdomain without a
    /// record of its own, where a non-existent one gets `np`.
    pub from_exists: Option<bool>,
}

/// Identifier alignment (RFC 7489 §3.1): strict is the same name, relaxed the same
/// organizational domain.
pub fn aligned(mode: Alignment, domain: &str, from: &str) -> bool {
    let norm = |d: &str| d.trim_end_matches('.').to_ascii_lowercase();
    match mode {
        Alignment::Strict => norm(domain) == norm(from),
        Alignment::Relaxed => same_organization(domain, from),
    }
}

/// The policy that applies to the From domain, if any DMARC record does.
fn applied_policy(dmarc: &DmarcFacts, from_exists: Option<bool>) -> Option<AppliedPolicy> {
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
    let otherwise = (pct < 100).then_some(match policy {
        Policy::Reject => Policy::Quarantine,
        Policy::Quarantine | Policy::None => Policy::None,
    });
    Some(AppliedPolicy {
        tag,
        policy,
        pct,
        otherwise: otherwise.filter(|rest| *rest != policy),
        location: dmarc.location.clone(),
    })
}

/// Run the simulation.
pub fn simulate(input: &SimulationInput<'_>) -> Simulation {
    let dmarc = input.dmarc;
    let aspf = dmarc.and_then(|d| d.aspf).unwrap_or_default();
    let adkim = dmarc.and_then(|d| d.adkim).unwrap_or_default();
    let spf_aligned = aligned(aspf, input.spf_domain, input.from_domain);
    let dkim_aligned = aligned(adkim, input.dkim_domain, input.from_domain);
    let policy = dmarc.and_then(|d| applied_policy(d, input.from_exists));
    // The record could not be looked up: nothing can be concluded about the policy.
    let discovery_failed = dmarc.is_none_or(|d| d.record.is_none() && d.incomplete);
    let dkim_aligned_pass = dkim_aligned && input.dkim_key.status == KeyStatus::Usable;
    let ips: Vec<IpOutcome> = input
        .spf
        .iter()
        .map(|(ip, spf)| {
            let spf_aligned_pass = spf_aligned && *spf == Some(SpfResult::Pass);
            let dmarc = if spf_aligned_pass || dkim_aligned_pass {
                if policy.is_some() {
                    DmarcResult::Pass
                } else if discovery_failed {
                    DmarcResult::TempError
                } else {
                    DmarcResult::None
                }
            } else if discovery_failed
                || *spf == Some(SpfResult::TempError)
                || input.dkim_key.status == KeyStatus::Unknown
            {
                DmarcResult::TempError
            } else if policy.is_none() {
                DmarcResult::None
            } else {
                DmarcResult::Fail
            };
            let disposition = match (&policy, dmarc) {
                (Some(policy), DmarcResult::Fail) => policy.describe(),
                (_, DmarcResult::TempError) => "undetermined (temperror)".to_string(),
                _ => "deliver".to_string(),
            };
            IpOutcome {
                ip: *ip,
                spf: *spf,
                spf_aligned_pass,
                dkim_aligned_pass,
                dmarc,
                disposition,
            }
        })
        .collect();
    let rank = |r: DmarcResult| match r {
        DmarcResult::Fail => 3,
        DmarcResult::TempError => 2,
        DmarcResult::None => 1,
        DmarcResult::Pass => 0,
    };
    let verdict = ips
        .iter()
        .map(|o| o.dmarc)
        .max_by_key(|r| rank(*r))
        .unwrap_or(DmarcResult::None);
    Simulation {
        from_domain: input.from_domain.to_string(),
        spf_domain: input.spf_domain.to_string(),
        dkim_domain: input.dkim_domain.to_string(),
        record: dmarc.and_then(|d| d.record.clone()),
        aspf,
        adkim,
        spf_aligned,
        dkim_aligned,
        dkim_key: input.dkim_key.clone(),
        dkim_assumption: DKIM_ASSUMPTION,
        policy_unknown: policy.is_none() && discovery_failed,
        policy,
        ips,
        verdict,
    }
}

fn mode_tag(tag: &str, mode: Alignment) -> String {
    format!("{tag}={}", mode.as_str())
}

/// `dmarc/would-fail` for each IP whose mail would fail DMARC. The findings target the From
/// domain; the caller gives them their location.
pub fn would_fail_findings(rules: &Rules, sim: &Simulation) -> Vec<(IpAddr, Finding)> {
    let Some(policy) = &sim.policy else {
        return Vec::new();
    };
    let from = &sim.from_domain;
    let spf_part = |outcome: &IpOutcome| {
        let result = outcome.spf.map_or("not evaluated", SpfResult::as_str);
        if outcome.spf == Some(SpfResult::Pass) && !sim.spf_aligned {
            format!(
                "SPF pass for {}, not aligned with {from} ({})",
                sim.spf_domain,
                mode_tag("aspf", sim.aspf)
            )
        } else {
            format!("SPF {result} for {}", sim.spf_domain)
        }
    };
    let dkim_part = match sim.dkim_key.status {
        KeyStatus::Usable => format!(
            "DKIM signs as {}, not aligned with {from} ({})",
            sim.dkim_domain,
            mode_tag("adkim", sim.adkim)
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
            let message = format!(
                "mail from {from} sent from {} would fail DMARC: {}; {}; receivers would apply {}{from_where}",
                outcome.ip,
                spf_part(outcome),
                dkim_part,
                policy.describe(),
            );
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
