//! Rule metadata, thresholds and documentation, compiled in from `rules/*.toml`.

use crate::finding::{Finding, Severity};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The rule data files compiled into the binary.
pub const BUILTIN_FILES: &[(&str, &str)] =
    &[("rules/spf.toml", include_str!("../../rules/spf.toml"))];

#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    #[error("{file}: rule {id} is defined twice")]
    Duplicate { file: String, id: String },
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
    #[serde(default)]
    pub help: Option<String>,
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
        Ok(Rules { rules })
    }

    pub fn get(&self, id: &str) -> Option<&RuleMeta> {
        self.rules.get(id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &RuleMeta> {
        self.rules.values()
    }

    /// A finding for rule `id`, with severity, reference and help taken from the rule's data.
    /// An id without data is a bug caught by the registry test; it still yields a finding.
    pub fn finding(&self, id: &str, target: &str, message: impl Into<String>) -> Finding {
        let (severity, reference, help) = match self.rules.get(id) {
            Some(meta) => (
                meta.severity,
                meta.reference.clone(),
                meta.help.clone().unwrap_or_else(|| meta.title.clone()),
            ),
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

    /// A numeric threshold of rule `id`, e.g. `threshold("spf/lookup-limit", "max")`.
    pub fn threshold(&self, id: &str, key: &str) -> Option<f64> {
        let value = self.rules.get(id)?.thresholds.get(key)?;
        value
            .as_integer()
            .map(|i| i as f64)
            .or_else(|| value.as_float())
    }
}
