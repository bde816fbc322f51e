//! The registry: every family of checks with the rules it emits and the thresholds it reads,
//! one line each, and the rules each command runs. Nothing else lists rules: the registry
//! test holds these lists and `rules/*.toml` together, and the settling of a run reports an
//! ignore that matched nothing only for the rules its command ran (`config/unused-ignore`).

use crate::rules::{RuleId, Threshold};
use crate::{
    campaign, config, dkim, dmarc, dns, domain, feedback, list, message, mx, reports, sender, spf,
};

/// One family of checks: its rule ids and threshold handles, declared in its `rules.rs`.
#[derive(Clone, Copy, Debug)]
pub struct Family {
    pub name: &'static str,
    pub rules: &'static [RuleId],
    pub thresholds: &'static [Threshold],
}

const fn family(
    name: &'static str,
    rules: &'static [RuleId],
    thresholds: &'static [Threshold],
) -> Family {
    Family {
        name,
        rules,
        thresholds,
    }
}

/// Every family, one registration line each.
pub const FAMILIES: &[Family] = &[
    family("spf", spf::rules::RULES, spf::rules::THRESHOLDS),
    family("domain", domain::rules::RULES, domain::rules::THRESHOLDS),
    family("dkim", dkim::rules::RULES, dkim::rules::THRESHOLDS),
    family("dmarc", dmarc::rules::RULES, dmarc::rules::THRESHOLDS),
    family("mx", mx::rules::RULES, mx::rules::THRESHOLDS),
    family("message", message::rules::RULES, message::rules::THRESHOLDS),
    family("sender", sender::rules::RULES, sender::rules::THRESHOLDS),
    family("reports", reports::rules::RULES, reports::rules::THRESHOLDS),
    family("list", list::rules::RULES, list::rules::THRESHOLDS),
    family(
        "feedback",
        feedback::rules::RULES,
        feedback::rules::THRESHOLDS,
    ),
    family(
        "campaign",
        campaign::rules::RULES,
        campaign::rules::THRESHOLDS,
    ),
    family("config", config::rules::RULES, config::rules::THRESHOLDS),
    family("dns", dns::rules::RULES, dns::rules::THRESHOLDS),
];

/// Every rule id some check can emit, sorted, each once.
pub fn implemented() -> Vec<RuleId> {
    let mut ids: Vec<RuleId> = FAMILIES.iter().flat_map(|f| f.rules).copied().collect();
    // Shared rules such as dns/inconclusive are listed by every family that emits them.
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Every threshold some check reads, sorted, each once.
pub fn thresholds() -> Vec<Threshold> {
    let mut all: Vec<Threshold> = FAMILIES
        .iter()
        .flat_map(|f| f.thresholds)
        .copied()
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// The commands that run checks, for [`rules_run_by`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandRules {
    /// `mailaudit domain`: the SPF, DKIM key, MX and DMARC audits and the domain's own rules.
    Domain,
    /// `mailaudit spf`: `check_host()` for one IP, judged by the domain audit's rules.
    Spf,
    /// `mailaudit message`: the draft lint, the drafts' DKIM signatures and inline ignores.
    Message,
    /// `mailaudit check`: everything the domain, message and sender commands run, and the
    /// campaign's own rules.
    Check,
    /// `mailaudit sender`: the sender checks of the statistics files.
    Sender,
    /// `mailaudit reports`: the checks of receivers' reports.
    Reports,
    /// `mailaudit feedback`: the bounce and complaint reader's rules.
    Feedback,
    /// `mailaudit list`: the checks of a recipient list.
    List,
}

impl CommandRules {
    /// The rule lists of the checks the command runs itself (`check` also runs every rule of
    /// the commands in [`CommandRules::includes`]).
    const fn lists(self) -> &'static [&'static [RuleId]] {
        const DOMAIN: &[&[RuleId]] = &[
            spf::rules::RULES,
            domain::rules::RULES,
            dkim::rules::KEY_RULES,
            mx::rules::RULES,
            dmarc::rules::RULES,
        ];
        const MESSAGE: &[&[RuleId]] = &[
            message::rules::RULES,
            dkim::rules::SIGNATURE_RULES,
            config::rules::RULES,
        ];
        const SENDER: &[&[RuleId]] = &[sender::rules::RULES];
        const REPORTS: &[&[RuleId]] = &[reports::rules::RULES];
        const FEEDBACK: &[&[RuleId]] = &[feedback::rules::RULES];
        const LIST: &[&[RuleId]] = &[list::rules::RULES];
        match self {
            CommandRules::Domain => DOMAIN,
            CommandRules::Spf => &[domain::rules::RULES],
            CommandRules::Message => MESSAGE,
            CommandRules::Check => &[campaign::rules::RULES],
            CommandRules::Sender => SENDER,
            CommandRules::Reports => REPORTS,
            CommandRules::Feedback => FEEDBACK,
            CommandRules::List => LIST,
        }
    }

    /// The commands whose rules this one runs too: `check` audits the campaign's domains,
    /// drafts and statistics as `domain`, `message` and `sender` do.
    const fn includes(self) -> &'static [CommandRules] {
        match self {
            CommandRules::Check => &[
                CommandRules::Domain,
                CommandRules::Message,
                CommandRules::Sender,
                CommandRules::Reports,
                CommandRules::List,
            ],
            _ => &[],
        }
    }
}

/// Every rule `command` runs, sorted, each once: an ignore of one of them that matched
/// nothing is reported, an ignore of any other rule is not.
pub fn rules_run_by(command: CommandRules) -> Vec<RuleId> {
    let mut ids: Vec<RuleId> = std::iter::once(command)
        .chain(command.includes().iter().copied())
        .flat_map(|c| c.lists().iter().copied().flatten().copied())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMANDS: [CommandRules; 8] = [
        CommandRules::Domain,
        CommandRules::Spf,
        CommandRules::Message,
        CommandRules::Check,
        CommandRules::Sender,
        CommandRules::Reports,
        CommandRules::Feedback,
        CommandRules::List,
    ];

    #[test]
    fn every_rule_of_a_check_is_listed_once() {
        let all = rules_run_by(CommandRules::Check);
        for id in [
            campaign::rules::DMARC_WOULD_FAIL,
            spf::rules::LOOKUP_LIMIT,
            message::rules::BODY_WORD_COUNT,
            config::rules::INVALID_IGNORE,
        ] {
            assert!(all.contains(&id), "{id}");
        }
        let mut sorted = all.clone();
        sorted.dedup();
        assert_eq!(sorted.len(), all.len());
    }

    #[test]
    fn check_runs_what_domain_message_and_sender_run() {
        let check = rules_run_by(CommandRules::Check);
        for command in [
            CommandRules::Domain,
            CommandRules::Message,
            CommandRules::Sender,
            CommandRules::Reports,
            CommandRules::List,
        ] {
            for id in rules_run_by(command) {
                assert!(check.contains(&id), "{command:?}: {id}");
            }
        }
    }

    #[test]
    fn every_rule_a_command_runs_is_registered() {
        let implemented = implemented();
        for command in COMMANDS {
            for id in rules_run_by(command) {
                assert!(implemented.contains(&id), "{command:?}: {id}");
            }
        }
    }

    #[test]
    fn family_names_are_unique() {
        let mut names: Vec<&str> = FAMILIES.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FAMILIES.len());
    }
}
