//! Rule metadata, thresholds and documentation, compiled in from `rules/*.toml`, with the
//! user's overrides (`mailaudit.toml`, `--rules`) applied on top.

use crate::config::{Config, ConfigError, Level, RuleOverride};
use crate::finding::{Finding, Severity};
use serde::Deserialize;
use std::collections::BTreeMap;

mod id;
mod suggest;
pub use id::{RuleId, Threshold, concat};
pub use suggest::{family_of, in_query};

/// The rule data files compiled into the binary.
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    ("rules/spf.toml", include_str!("../../rules/spf.toml")),
    ("rules/config.toml", include_str!("../../rules/config.toml")),
    ("rules/dkim.toml", include_str!("../../rules/dkim.toml")),
    (
        "rules/dkim-selectors.toml",
        include_str!("../../rules/dkim-selectors.toml"),
    ),
    (
        "rules/dkim-signature.toml",
        include_str!("../../rules/dkim-signature.toml"),
    ),
    ("rules/domain.toml", include_str!("../../rules/domain.toml")),
    ("rules/mx.toml", include_str!("../../rules/mx.toml")),
    (
        "rules/message.toml",
        include_str!("../../rules/message.toml"),
    ),
    ("rules/dmarc.toml", include_str!("../../rules/dmarc.toml")),
    ("rules/sender.toml", include_str!("../../rules/sender.toml")),
    (
        "rules/reports.toml",
        include_str!("../../rules/reports.toml"),
    ),
    (
        "rules/feedback.toml",
        include_str!("../../rules/feedback.toml"),
    ),
    ("rules/body.toml", include_str!("../../rules/body.toml")),
    ("rules/list.toml", include_str!("../../rules/list.toml")),
    (
        "rules/campaign.toml",
        include_str!("../../rules/campaign.toml"),
    ),
];

/// The profiles `--profile NAME` selects, compiled in: (name, file, text). Each holds rule
/// overrides in the format of the user's configuration (`[rules."ID"]` with `severity` and
/// `thresholds`) for one kind of mail; the first is the default of `mailaudit message`.
pub const PROFILES: &[(&str, &str, &str)] = &[
    (
        "cold-outreach",
        "rules/profiles/cold-outreach.toml",
        include_str!("../../rules/profiles/cold-outreach.toml"),
    ),
    (
        "newsletter",
        "rules/profiles/newsletter.toml",
        include_str!("../../rules/profiles/newsletter.toml"),
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    #[error("{file}: rule {id} is defined twice")]
    Duplicate { file: String, id: String },
    #[error("unknown profile `{name}` (known: {known})")]
    UnknownProfile { name: String, known: String },
    #[error("the built-in profile is broken: {0}")]
    Profile(#[from] ConfigError),
    #[error("rules/*.toml has no numeric {threshold}, which the checks read")]
    MissingThreshold { threshold: String },
}

/// One rule's data: everything but the check itself.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleMeta {
    pub id: String,
    pub severity: Severity,
    pub title: String,
    pub reference: String,
    #[serde(default)]
    pub thresholds: toml::Table,
    /// One line shown under each finding: what to change.
    pub help: String,
    /// Documentation section "What it checks".
    pub what: String,
    /// Documentation section "Why it matters".
    pub why: String,
    /// Documentation section "Example": a bad record and the finding it gets.
    pub example: String,
    /// Documentation section "How to fix".
    pub fix: String,
}

impl RuleMeta {
    /// The fixed documentation sections, in the order `mailaudit rules ID` prints them.
    pub fn doc_sections(&self) -> [(&'static str, &str); 5] {
        [
            ("What it checks", self.what.trim()),
            ("Why it matters", self.why.trim()),
            ("Example", self.example.trim()),
            ("How to fix", self.fix.trim()),
            ("Reference", self.reference.trim()),
        ]
    }
}

#[derive(Deserialize)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<RuleMeta>,
}

/// The effective rule set of a run: built-in data with the user's overrides applied.
#[derive(Clone, Debug)]
pub struct Rules {
    rules: BTreeMap<String, RuleMeta>,
    /// Severities set by the user; they win over a check's own choice of severity.
    levels: BTreeMap<String, Level>,
}

impl Rules {
    /// The rules as shipped.
    pub fn builtin() -> Result<Rules, RulesError> {
        let mut rules = BTreeMap::new();
        for (file, text) in BUILTIN_FILES {
            let parsed: RuleFile = toml::from_str(text).map_err(|e| RulesError::Parse {
                file: file.to_string(),
                message: e.to_string(),
            })?;
            for meta in parsed.rule {
                if rules.contains_key(&meta.id) {
                    return Err(RulesError::Duplicate {
                        file: file.to_string(),
                        id: meta.id,
                    });
                }
                rules.insert(meta.id.clone(), meta);
            }
        }
        Ok(Rules {
            rules,
            levels: BTreeMap::new(),
        })
    }

    /// The data of rule `id` (a [`RuleId`] or an id as text, e.g. a finding's).
    pub fn get(&self, id: impl AsRef<str>) -> Option<&RuleMeta> {
        self.rules.get(id.as_ref())
    }

    /// Rules in id order.
    pub fn iter(&self) -> impl Iterator<Item = &RuleMeta> {
        self.rules.values()
    }

    /// Layer the user's overrides on top: severities, `off`, thresholds. Rule ids, threshold
    /// names and threshold types are checked against the data, so a typo is an error naming
    /// the file and key instead of a silently ignored setting. Ignores are checked too.
    pub fn apply(&mut self, config: &Config) -> Result<(), ConfigError> {
        for ov in config.overrides() {
            self.apply_override(ov)?;
        }
        for ignore in config.ignores() {
            if !self.rules.contains_key(&ignore.rule) {
                return Err(ConfigError::UnknownRule {
                    file: ignore.source.clone(),
                    line: ignore.line,
                    key: format!("ignore.rule = \"{}\"", ignore.rule),
                    hint: self.suggestion(&ignore.rule),
                });
            }
        }
        Ok(())
    }

    /// Apply the built-in profile `name` (see [`PROFILES`]): its severities and thresholds,
    /// checked like a user's. Apply it before the user's configuration, which then wins.
    ///
    /// A profile may tune rules of an area (`body/`, `template/`) that has no rule data in
    /// this build at all; those entries are skipped. Any other unknown rule or threshold is an
    /// error, as in a user's file.
    pub fn apply_profile(&mut self, name: &str) -> Result<(), RulesError> {
        let Some((_, file, text)) = PROFILES.iter().find(|(n, _, _)| *n == name) else {
            return Err(RulesError::UnknownProfile {
                name: name.to_string(),
                known: PROFILES
                    .iter()
                    .map(|(n, _, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        let config = Config::parse(text, file)?;
        if let Some(ignore) = config.ignores().first() {
            return Err(RulesError::Profile(ConfigError::Parse {
                file: file.to_string(),
                message: format!(
                    "line {}: a profile sets severities and thresholds; it cannot ignore rules",
                    ignore.line
                ),
            }));
        }
        for ov in config.overrides() {
            if !self.rules.contains_key(&ov.rule) && !self.has_area(&ov.rule) {
                continue;
            }
            self.apply_override(ov)?;
        }
        Ok(())
    }

    /// True when some rule shares the area (`body` of `body/word-count`) of `id`.
    fn has_area(&self, id: &str) -> bool {
        let area = id.split('/').next().unwrap_or(id);
        self.rules
            .keys()
            .any(|known| known.split('/').next() == Some(area))
    }

    /// One `[rules."ID"]` entry: rule id, threshold names and types checked against the data.
    fn apply_override(&mut self, ov: &RuleOverride) -> Result<(), ConfigError> {
        let key = format!("rules.\"{}\"", ov.rule);
        let Some(meta) = self.rules.get_mut(&ov.rule) else {
            return Err(ConfigError::UnknownRule {
                file: ov.source.clone(),
                line: ov.line,
                key,
                hint: self.suggestion(&ov.rule),
            });
        };
        for (name, (value, line)) in &ov.thresholds {
            let key = format!("{key}.thresholds.{name}");
            let Some(default) = meta.thresholds.get(name) else {
                let known: Vec<&str> = meta.thresholds.keys().map(String::as_str).collect();
                return Err(ConfigError::UnknownThreshold {
                    file: ov.source.clone(),
                    line: *line,
                    key,
                    known: if known.is_empty() {
                        "this rule has no thresholds".to_string()
                    } else {
                        format!("known: {}", known.join(", "))
                    },
                });
            };
            // NaN compares false with everything, so a NaN bound turns its rule off silently;
            // an infinite one does the same in one direction.
            if value.as_float().is_some_and(|f| !f.is_finite()) {
                return Err(ConfigError::ThresholdType {
                    file: ov.source.clone(),
                    line: *line,
                    key,
                    expected: "a finite number (not nan or inf)",
                });
            }
            // Every threshold is a count, a size, a ratio or a weight: none is below zero.
            if number(value).is_some_and(|f| f < 0.0) {
                return Err(ConfigError::ThresholdType {
                    file: ov.source.clone(),
                    line: *line,
                    key,
                    expected: "a number of zero or more",
                });
            }
            if !same_kind(default, value) {
                return Err(ConfigError::ThresholdType {
                    file: ov.source.clone(),
                    line: *line,
                    key,
                    expected: if is_number(default) {
                        "a number"
                    } else {
                        default.type_str()
                    },
                });
            }
        }
        // Each ordered pair of the same rule, after this override (one of the pair may be the
        // default): a lower bound above its upper one leaves no value that passes, or turns
        // one severity off.
        let value_of = |name: &str| {
            ov.thresholds
                .get(name)
                .map(|(v, _)| v)
                .or_else(|| meta.thresholds.get(name))
                .and_then(number)
        };
        for &(low_name, high_name) in ORDERED_THRESHOLDS {
            if let (Some(low), Some(high)) = (value_of(low_name), value_of(high_name))
                && low > high
            {
                let line = ov
                    .thresholds
                    .get(low_name)
                    .or_else(|| ov.thresholds.get(high_name))
                    .map_or(ov.line, |(_, line)| *line);
                return Err(ConfigError::ThresholdRange {
                    file: ov.source.clone(),
                    line,
                    key: format!("{key}.thresholds"),
                    low_name: low_name.into(),
                    low,
                    high_name: high_name.into(),
                    high,
                });
            }
        }
        for (name, (value, _)) in &ov.thresholds {
            meta.thresholds.insert(name.clone(), value.clone());
        }
        if let Some(level) = ov.level {
            if let Level::On(severity) = level {
                meta.severity = severity;
            }
            self.levels.insert(ov.rule.clone(), level);
        }
        Ok(())
    }

    /// False when the user turned the rule off.
    pub fn is_enabled(&self, id: &str) -> bool {
        self.levels.get(id) != Some(&Level::Off)
    }

    /// The severity the user set for a rule, if any (`Level::Off` for a disabled rule).
    pub fn user_level(&self, id: &str) -> Option<Level> {
        self.levels.get(id).copied()
    }

    /// Enforce the user's levels on a target's findings: drop findings of rules turned off,
    /// and give findings of rules with a user severity that severity, even where the check
    /// chose another one (e.g. the warning level of spf/lookup-limit).
    pub fn apply_levels(&self, findings: &mut Vec<Finding>) {
        if self.levels.is_empty() {
            return;
        }
        findings.retain(|f| self.is_enabled(&f.rule));
        for finding in findings.iter_mut() {
            if let Some(Level::On(severity)) = self.levels.get(&finding.rule) {
                finding.severity = *severity;
            }
        }
    }

    /// [`Rules::apply_levels`] for one finding: `None` when its rule is off.
    pub fn apply_level(&self, mut finding: Finding) -> Option<Finding> {
        if !self.is_enabled(&finding.rule) {
            return None;
        }
        if let Some(Level::On(severity)) = self.levels.get(&finding.rule) {
            finding.severity = *severity;
        }
        Some(finding)
    }

    /// Make the rules `ids` errors wherever they are on, above the built-in data, a profile and
    /// the user's severities (a bulk sender's requirements); a rule turned off stays off.
    pub fn raise_to_error(&mut self, ids: &[String]) {
        for id in ids {
            if let Some(meta) = self.rules.get_mut(id) {
                meta.severity = Severity::Error;
            }
            match self.levels.get(id) {
                Some(Level::Off) => {}
                _ => {
                    self.levels.insert(id.clone(), Level::On(Severity::Error));
                }
            }
        }
    }

    /// A finding for rule `id`, with severity, reference and help taken from the rule's data.
    /// An id without data is a bug caught by the registry test; it still yields a finding.
    pub fn finding(&self, id: RuleId, target: &str, message: impl Into<String>) -> Finding {
        let (severity, reference, help) = match self.rules.get(id.as_str()) {
            Some(meta) => (meta.severity, meta.reference.clone(), meta.help.clone()),
            None => (Severity::Error, String::new(), String::new()),
        };
        Finding {
            rule: id.to_string(),
            severity,
            target: target.to_string(),
            message: message.into(),
            evidence: Default::default(),
            location: None,
            reference,
            help,
        }
    }

    /// The value of a threshold, e.g. `rules.threshold(spf::rules::LOOKUP_LIMIT_MAX)`.
    ///
    /// Defaults live only in `rules/*.toml`, and the data has every handle's value as a number
    /// (the registry test proves it for every family's `THRESHOLDS`); a user's file or a
    /// profile can only replace it with another number. A handle without a value is therefore
    /// a bug in mailaudit: the application checks every handle when it loads the rules
    /// ([`Rules::check_thresholds`]), and this panics naming the handle only for a library
    /// user who skipped that.
    pub fn threshold(&self, threshold: Threshold) -> f64 {
        self.threshold_value(threshold).unwrap_or_else(|| {
            panic!("rules/*.toml has no numeric {threshold} (a bug: see tests/integration/rules_registry.rs)")
        })
    }

    /// Every threshold the checks read has a numeric value: run before any check, so that
    /// broken rule data stops the run with an error instead of reaching [`Rules::threshold`].
    pub fn check_thresholds(&self, handles: &[Threshold]) -> Result<(), RulesError> {
        match handles.iter().find(|t| self.threshold_value(**t).is_none()) {
            Some(missing) => Err(RulesError::MissingThreshold {
                threshold: missing.to_string(),
            }),
            None => Ok(()),
        }
    }

    fn threshold_value(&self, threshold: Threshold) -> Option<f64> {
        self.rules
            .get(threshold.rule().as_str())
            .and_then(|meta| meta.thresholds.get(threshold.key()))
            .and_then(number)
    }
}

/// A threshold's value as a number, integer or float.
/// Threshold names that bound each other within one rule, (lower, upper): `body/word-count`'s
/// `min`/`max`, the sender rates' `warning`/`error`, `dkim/weak-key`'s `error_below`/
/// `warn_below`, `spf/lookup-limit`'s `warn_from`/`max`.
const ORDERED_THRESHOLDS: &[(&str, &str)] = &[
    ("min", "max"),
    ("warning", "error"),
    ("error_below", "warn_below"),
    ("warn_from", "max"),
];

fn number(value: &toml::Value) -> Option<f64> {
    value
        .as_integer()
        .map(|i| i as f64)
        .or_else(|| value.as_float())
}

fn is_number(value: &toml::Value) -> bool {
    value.is_integer() || value.is_float()
}

/// Numbers may be given as integers or floats; anything else must match the data's type.
fn same_kind(default: &toml::Value, value: &toml::Value) -> bool {
    if is_number(default) {
        is_number(value)
    } else {
        default.same_type(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_threshold_the_checks_read_must_be_in_the_data() {
        let rules = Rules::builtin().unwrap();
        let known = Threshold::new(RuleId::new("spf/lookup-limit"), "max");
        assert!(rules.check_thresholds(&[known]).is_ok());
        assert_eq!(rules.threshold(known), 10.0);
        let unknown = Threshold::new(RuleId::new("spf/lookup-limit"), "maxx");
        let err = rules.check_thresholds(&[known, unknown]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "rules/*.toml has no numeric spf/lookup-limit.thresholds.maxx, which the checks read"
        );
    }
}
