//! User configuration: rule overrides and ignores from the nearest `mailaudit.toml`
//! ([`find_default`]) and `--rules FILE`.
//!
//! ```toml
//! [rules."spf/lookup-limit"]
//! severity = "warning"            # error, warning, info or off
//! thresholds = { warn_from = 9 }
//!
//! [[ignore]]
//! rule = "spf/ptr-mechanism"
//! target = "legacy.example.com"   # optional: without it, the rule is ignored everywhere
//! reason = "vendor include we cannot change"   # required
//! ```
//!
//! Parsing checks the file's shape; [`crate::rules::Rules::apply`] checks rule ids and
//! thresholds against the rule data. [`Suppressor`] applies the ignores and reports the ones
//! that matched nothing.

pub mod rules;

use crate::config::rules::UNUSED_IGNORE;
use crate::finding::{Finding, Location, Severity};
use crate::input::{self, InputError, InputKind};
use crate::rules::{RuleId, Rules};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The name of the configuration file looked for in the working directory and its parents.
pub const DEFAULT_FILE: &str = "mailaudit.toml";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Not a regular file, over the limit, or unreadable ([`crate::input`]).
    #[error(transparent)]
    Read(#[from] InputError),
    /// A TOML syntax or structure error: [`toml_error`] words it.
    #[error("{file}:{message}")]
    Parse { file: String, message: String },
    #[error("{file}:{line}: unknown rule in `{key}`{hint} (`mailaudit rules` lists the rule ids)")]
    UnknownRule {
        file: String,
        line: usize,
        key: String,
        /// ` (did you mean `spf/lookup-limit`?)`, or empty.
        hint: String,
    },
    #[error("{file}:{line}: unknown threshold `{key}` ({known})")]
    UnknownThreshold {
        file: String,
        line: usize,
        key: String,
        known: String,
    },
    #[error("{file}:{line}: `{key}` must be {expected}")]
    ThresholdType {
        file: String,
        line: usize,
        key: String,
        expected: &'static str,
    },
    /// A lower bound above its upper bound (`min = 200, max = 100`): no value could pass.
    #[error("{file}:{line}: `{key}`: {low_name} ({low}) is more than {high_name} ({high})")]
    ThresholdRange {
        file: String,
        line: usize,
        /// `rules."body/word-count".thresholds`
        key: String,
        low_name: String,
        low: f64,
        high_name: String,
        high: f64,
    },
    #[error("{file}:{line}: the [[ignore]] of {rule} needs a non-empty `reason`")]
    MissingReason {
        file: String,
        line: usize,
        rule: String,
    },
}

/// A rule's level as the user sets it: a severity, or off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum Level {
    Off,
    On(Severity),
}

impl TryFrom<String> for Level {
    type Error = String;

    fn try_from(value: String) -> Result<Level, String> {
        match value.as_str() {
            "off" => Ok(Level::Off),
            other => Severity::parse(other).map(Level::On).ok_or_else(|| {
                format!("unknown severity `{other}`, expected error, warning, info or off")
            }),
        }
    }
}

/// `[rules."ID"]`: one rule's overrides from one file.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleOverride {
    pub rule: String,
    pub level: Option<Level>,
    /// Threshold name -> (value, 1-based line in `source`).
    pub thresholds: BTreeMap<String, (toml::Value, usize)>,
    pub source: String,
    pub line: usize,
}

/// `[[ignore]]`: suppress a rule, everywhere or for one target, with a stated reason.
#[derive(Clone, Debug, PartialEq)]
pub struct Ignore {
    pub rule: String,
    pub target: Option<String>,
    pub reason: String,
    pub source: String,
    pub line: usize,
}

impl Ignore {
    pub fn matches(&self, finding: &Finding) -> bool {
        self.rule == finding.rule
            && self
                .target
                .as_deref()
                .is_none_or(|target| same_target(target, &finding.target))
    }
}

/// Targets are mostly domain names: compare them case-insensitively, trailing dot or not.
/// A TOML error as `LINE:COLUMN: what` (after the file name), followed by the offending
/// line only when the file is named `*.toml`: any file can be named as a rules or campaign
/// file, and the first line of an unrelated one (`/proc/self/environ`) may hold a secret.
pub fn toml_error(error: &toml::de::Error, text: &str, file: &str) -> String {
    // toml words some errors on two lines ("invalid string\nexpected ..."): one line here.
    let what = error.message().trim_end().replace('\n', "; ");
    let Some(span) = error.span() else {
        return format!(" {what}");
    };
    let start = span.start.min(text.len());
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line = crate::text::line_of(text, start);
    let column = text[line_start..start].chars().count() + 1;
    let mut message = format!("{line}:{column}: {what}");
    if file.ends_with(".toml") {
        let quoted = text[line_start..].lines().next().unwrap_or("");
        let quoted = crate::text::escape_untrusted(crate::text::truncate(quoted, 200));
        message.push_str(&format!("\n  | {quoted}"));
    }
    message
}

fn same_target(a: &str, b: &str) -> bool {
    a.trim_end_matches('.')
        .eq_ignore_ascii_case(b.trim_end_matches('.'))
}

/// The user's configuration: the layers read so far, later ones winning.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Config {
    overrides: Vec<RuleOverride>,
    ignores: Vec<Ignore>,
    sources: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, RawOverride>,
    #[serde(default)]
    ignore: Vec<Spanned<RawIgnore>>,
}

/// The `[rules]` and `[[ignore]]` sections of a file that holds other keys too (a campaign
/// file): the other keys are the caller's to check.
#[derive(Deserialize)]
struct RawSections {
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, RawOverride>,
    #[serde(default)]
    ignore: Vec<Spanned<RawIgnore>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverride {
    severity: Option<Level>,
    #[serde(default)]
    thresholds: BTreeMap<Spanned<String>, toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIgnore {
    rule: String,
    target: Option<String>,
    // Optional here so that a missing reason gets the same message as an empty one.
    reason: Option<String>,
}

impl Config {
    /// Parse one configuration file's text; `source` names it in errors and findings.
    pub fn parse(text: &str, source: &str) -> Result<Config, ConfigError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| ConfigError::Parse {
            file: source.to_string(),
            message: toml_error(&e, text, source),
        })?;
        Config::from_sections(
            RawSections {
                rules: raw.rules,
                ignore: raw.ignore,
            },
            text,
            source,
        )
    }

    /// The `[rules."ID"]` and `[[ignore]]` sections of a file that also holds other keys, such
    /// as a campaign file (`mailaudit check`): same format and checks as [`Config::parse`],
    /// lines counted in the whole file; the other keys are left to the caller.
    pub fn parse_sections(text: &str, source: &str) -> Result<Config, ConfigError> {
        let raw: RawSections = toml::from_str(text).map_err(|e| ConfigError::Parse {
            file: source.to_string(),
            message: toml_error(&e, text, source),
        })?;
        Config::from_sections(raw, text, source)
    }

    fn from_sections(raw: RawSections, text: &str, source: &str) -> Result<Config, ConfigError> {
        let line_of = |offset: usize| crate::text::line_of(text, offset);
        let overrides = raw
            .rules
            .into_iter()
            .map(|(rule, ov)| RuleOverride {
                line: line_of(rule.span().start),
                rule: rule.into_inner(),
                level: ov.severity,
                thresholds: ov
                    .thresholds
                    .into_iter()
                    .map(|(name, value)| {
                        let line = line_of(name.span().start);
                        (name.into_inner(), (value, line))
                    })
                    .collect(),
                source: source.to_string(),
            })
            .collect();
        let mut ignores = Vec::new();
        for spanned in raw.ignore {
            let line = line_of(spanned.span().start);
            let raw = spanned.into_inner();
            let reason = raw.reason.unwrap_or_default();
            if reason.trim().is_empty() {
                return Err(ConfigError::MissingReason {
                    file: source.to_string(),
                    line,
                    rule: raw.rule,
                });
            }
            ignores.push(Ignore {
                rule: raw.rule,
                target: raw.target,
                reason,
                source: source.to_string(),
                line,
            });
        }
        Ok(Config {
            overrides,
            ignores,
            sources: vec![source.to_string()],
        })
    }

    /// True when the configuration sets nothing (no overrides, no ignores).
    pub fn is_empty(&self) -> bool {
        self.overrides.is_empty() && self.ignores.is_empty()
    }

    /// Read and parse one configuration file, named in its one form ([`crate::path`]); path
    /// targets of its ignores are relative to its directory ([`Config::anchor`]).
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let source = crate::path::display(path);
        let limit = InputKind::RulesFile.default_limit();
        let text = input::read_to_string(path, InputKind::RulesFile, limit)?;
        let mut config = Config::parse(&text, &source)?;
        config.anchor(path.parent().unwrap_or(Path::new("")));
        Ok(config)
    }

    /// The run's configuration: the nearest `mailaudit.toml` ([`find_default`] from `cwd`)
    /// when there is one, then `explicit` (`--rules`) on top of it.
    pub fn discover(cwd: &Path, explicit: Option<&Path>) -> Result<Config, ConfigError> {
        let default = find_default(cwd);
        let mut config = Config::default();
        if let Some(default) = &default {
            config.layer(Config::load(default)?);
        }
        if let Some(path) = explicit {
            // `--rules mailaudit.toml` must not count the same ignores twice.
            let same = default.as_ref().is_some_and(|default| {
                std::fs::canonicalize(path).ok() == std::fs::canonicalize(default).ok()
            });
            if !same {
                config.layer(Config::load(path)?);
            }
        }
        Ok(config)
    }

    /// Make the path targets of this configuration's ignores relative to `base` (the directory
    /// of the file that holds them) and put them in their one form ([`crate::path`]), so that
    /// `target = "seq/02-followup.eml"` in `repo/mailaudit.toml` matches the draft however and
    /// from wherever under the repository it is named. A target is a path when it holds a `/`
    /// (or `\`) or names a file or directory that exists under `base`; any other target is a
    /// name (a domain, an IP) and is kept as written.
    pub fn anchor(&mut self, base: &Path) {
        for ignore in &mut self.ignores {
            let Some(target) = &ignore.target else {
                continue;
            };
            let joined = base.join(target);
            let is_path = target.contains('/')
                || target.contains('\\')
                || std::fs::symlink_metadata(&joined).is_ok();
            if is_path {
                ignore.target = Some(crate::path::display(&joined));
            }
        }
    }

    /// Put `upper` on top of this configuration: its overrides are applied after ours.
    pub fn layer(&mut self, upper: Config) {
        self.overrides.extend(upper.overrides);
        self.ignores.extend(upper.ignores);
        self.sources.extend(upper.sources);
    }

    /// Rule overrides, in the order they apply.
    pub fn overrides(&self) -> &[RuleOverride] {
        &self.overrides
    }

    pub fn ignores(&self) -> &[Ignore] {
        &self.ignores
    }

    /// The files this configuration was read from, lowest layer first.
    pub fn sources(&self) -> &[String] {
        &self.sources
    }
}

/// The configuration file of a run started in `cwd`: the first `mailaudit.toml` in `cwd` and
/// then in each of its parents, up to and including the repository root (the nearest directory
/// with a `.git` entry, a directory or a worktree's file). Outside any repository only `cwd`
/// is looked in, so a file in some unrelated parent (a home directory) never applies. Only the
/// nearest file is read; files further up are not layered under it (as ruff does).
pub fn find_default(cwd: &Path) -> Option<PathBuf> {
    let cwd = crate::path::clean(cwd);
    let root = cwd
        .ancestors()
        .find(|dir| std::fs::symlink_metadata(dir.join(".git")).is_ok());
    let dirs: Vec<&Path> = match root {
        Some(root) => cwd
            .ancestors()
            .take_while(|dir| dir.starts_with(root))
            .collect(),
        None => vec![cwd.as_path()],
    };
    dirs.into_iter()
        .map(|dir| dir.join(DEFAULT_FILE))
        // Whatever it is: a FIFO or directory by that name is refused when loaded, never
        // silently passed over.
        .find(|file| file.exists())
}

/// Applies the ignores to findings as targets finish, remembering which ignores were used so
/// that the ones that matched nothing can be reported at the end of the run.
#[derive(Debug)]
pub struct Suppressor<'c> {
    ignores: &'c [Ignore],
    used: Vec<bool>,
    targets: BTreeSet<String>,
}

impl<'c> Suppressor<'c> {
    pub fn new(config: &'c Config) -> Suppressor<'c> {
        Suppressor {
            ignores: config.ignores(),
            used: vec![false; config.ignores().len()],
            targets: BTreeSet::new(),
        }
    }

    /// Remove the ignored findings of one audited target; returns how many were removed.
    pub fn suppress(&mut self, target: &str, findings: &mut Vec<Finding>) -> usize {
        self.waive(target, findings).len()
    }

    /// Remove the ignored findings of one audited target and return them, each with the
    /// first ignore that matched it (every matching ignore counts as used).
    pub fn waive(
        &mut self,
        target: &str,
        findings: &mut Vec<Finding>,
    ) -> Vec<(Finding, &'c Ignore)> {
        self.targets.insert(normalize_target(target));
        let mut waived = Vec::new();
        let mut kept = Vec::with_capacity(findings.len());
        for finding in std::mem::take(findings) {
            self.targets.insert(normalize_target(&finding.target));
            let mut first = None;
            for (ignore, used) in self.ignores.iter().zip(self.used.iter_mut()) {
                if ignore.matches(&finding) {
                    *used = true;
                    first = first.or(Some(ignore));
                }
            }
            match first {
                Some(ignore) => waived.push((finding, ignore)),
                None => kept.push(finding),
            }
        }
        *findings = kept;
        waived
    }

    /// The ignores that suppressed nothing although this run could have produced a finding
    /// for them: their rule is in `rules_run`, and their target (if any) was audited.
    pub fn unused(&self, rules_run: &[RuleId]) -> Vec<&'c Ignore> {
        self.ignores
            .iter()
            .zip(&self.used)
            .filter(|(ignore, used)| {
                !**used
                    && rules_run.iter().any(|id| ignore.rule == *id)
                    && ignore
                        .target
                        .as_deref()
                        .is_none_or(|t| self.targets.contains(&normalize_target(t)))
            })
            .map(|(ignore, _)| ignore)
            .collect()
    }
}

fn normalize_target(target: &str) -> String {
    target.trim_end_matches('.').to_ascii_lowercase()
}

/// `config/unused-ignore` findings for ignores that matched nothing, one per entry, on the
/// file that holds the entry.
pub fn unused_ignore_findings(rules: &Rules, unused: &[&Ignore]) -> Vec<Finding> {
    unused
        .iter()
        .map(|ignore| {
            let message = match &ignore.target {
                Some(target) => format!(
                    "the ignore of {} for {} matched no finding",
                    ignore.rule, target
                ),
                None => format!("the ignore of {} matched no finding", ignore.rule),
            };
            let mut finding =
                rules
                    .finding(UNUSED_IGNORE, &ignore.source, message)
                    .at(Location::Line {
                        file: ignore.source.clone(),
                        line: u32::try_from(ignore.line).unwrap_or(u32::MAX),
                    });
            finding.evidence.record = Some(format!("reason = {:?}", ignore.reason));
            finding
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(rule: RuleId, target: &str) -> Finding {
        Rules::builtin().unwrap().finding(rule, target, "m")
    }

    #[test]
    fn parses_overrides_and_ignores_with_lines() {
        let text = "[rules.\"spf/lookup-limit\"]\nseverity = \"warning\"\nthresholds = { warn_from = 9 }\n\n[[ignore]]\nrule = \"spf/ptr-mechanism\"\ntarget = \"legacy.example.com\"\nreason = \"vendor\"\n";
        let config = Config::parse(text, "m.toml").unwrap();
        let ov = &config.overrides()[0];
        assert_eq!(ov.rule, crate::spf::rules::LOOKUP_LIMIT);
        assert_eq!(ov.level, Some(Level::On(Severity::Warning)));
        assert_eq!(ov.line, 1);
        assert_eq!(ov.thresholds["warn_from"], (toml::Value::Integer(9), 3));
        let ignore = &config.ignores()[0];
        assert_eq!(ignore.line, 5);
        assert_eq!(ignore.target.as_deref(), Some("legacy.example.com"));
    }

    #[test]
    fn off_is_a_level() {
        let config =
            Config::parse("[rules.\"spf/ptr-mechanism\"]\nseverity = \"off\"\n", "m").unwrap();
        assert_eq!(config.overrides()[0].level, Some(Level::Off));
    }

    #[test]
    fn bad_severity_names_the_value() {
        let err = Config::parse("[rules.\"spf/ptr-mechanism\"]\nseverity = \"fatal\"\n", "m")
            .unwrap_err()
            .to_string();
        assert!(err.contains("fatal"), "{err}");
    }

    #[test]
    fn toml_errors_quote_only_toml_files() {
        let text = "a = 1\nTOKEN=secret value\n";
        let error = toml::from_str::<toml::Table>(text).unwrap_err();
        assert_eq!(
            toml_error(&error, text, "x.toml"),
            "2:7: invalid string; expected `\"`, `'`\n  | TOKEN=secret value"
        );
        assert_eq!(
            toml_error(&error, text, "/proc/self/environ"),
            "2:7: invalid string; expected `\"`, `'`"
        );
    }

    #[test]
    fn unknown_key_names_the_key() {
        let err = Config::parse(
            "[rules.\"spf/ptr-mechanism\"]\nseverty = \"off\"\n",
            "m.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("m.toml:2:1: unknown field `severty`")
                && err.ends_with("  | severty = \"off\""),
            "{err}"
        );
    }

    #[test]
    fn ignore_needs_a_reason() {
        for text in [
            "[[ignore]]\nrule = \"spf/ptr-mechanism\"\n",
            "[[ignore]]\nrule = \"spf/ptr-mechanism\"\nreason = \"  \"\n",
        ] {
            let err = Config::parse(text, "m.toml").unwrap_err();
            assert!(
                matches!(err, ConfigError::MissingReason { line: 1, .. }),
                "{err}"
            );
        }
    }

    #[test]
    fn suppressor_reports_unused_ignores() {
        let text = "[[ignore]]\nrule = \"spf/ptr-mechanism\"\ntarget = \"Legacy.Example.com.\"\nreason = \"r\"\n\n[[ignore]]\nrule = \"spf/mx-limit\"\nreason = \"r\"\n\n[[ignore]]\nrule = \"spf/syntax\"\ntarget = \"elsewhere.example\"\nreason = \"r\"\n";
        let config = Config::parse(text, "m.toml").unwrap();
        let mut s = Suppressor::new(&config);
        let mut findings = vec![
            finding(crate::spf::rules::PTR_MECHANISM, "legacy.example.com"),
            finding(crate::spf::rules::PTR_MECHANISM, "other.example.com"),
        ];
        assert_eq!(s.suppress("legacy.example.com", &mut findings), 1);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].target, "other.example.com");
        // mx-limit ran and matched nothing; syntax's target was never audited.
        let unused = s.unused(crate::spf::rules::RULES);
        assert_eq!(unused.len(), 1);
        assert_eq!(unused[0].rule, crate::spf::rules::MX_LIMIT);
        // A rule the command does not check is not reported.
        assert!(s.unused(&[crate::dkim::rules::MISSING]).is_empty());

        let rules = Rules::builtin().unwrap();
        let out = unused_ignore_findings(&rules, &unused);
        assert_eq!(out[0].rule, crate::config::rules::UNUSED_IGNORE);
        assert_eq!(out[0].target, "m.toml");
        assert_eq!(
            out[0].location,
            Some(Location::Line {
                file: "m.toml".into(),
                line: 6
            })
        );
    }

    #[test]
    fn discovery_looks_up_to_the_repository_root_only() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let sub = root.join("repo/a/b");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(root.join(DEFAULT_FILE), "").unwrap();
        // Outside any repository: only the working directory.
        assert_eq!(find_default(&sub), None);
        assert_eq!(find_default(root), Some(root.join(DEFAULT_FILE)));
        // Inside one: the nearest file up to the root, never above it.
        std::fs::create_dir(root.join("repo/.git")).unwrap();
        assert_eq!(find_default(&sub), None);
        std::fs::write(root.join("repo").join(DEFAULT_FILE), "").unwrap();
        assert_eq!(
            find_default(&sub),
            Some(root.join("repo").join(DEFAULT_FILE))
        );
        std::fs::write(root.join("repo/a").join(DEFAULT_FILE), "").unwrap();
        assert_eq!(
            find_default(&sub),
            Some(root.join("repo/a").join(DEFAULT_FILE))
        );
    }

    #[test]
    fn path_targets_are_relative_to_the_file_that_names_them() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("seq")).unwrap();
        std::fs::write(dir.path().join("seq/a.eml"), "").unwrap();
        let text = "[[ignore]]\nrule = \"spf/ptr-mechanism\"\ntarget = \"./seq/a.eml\"\nreason = \"r\"\n\n\
                    [[ignore]]\nrule = \"spf/ptr-mechanism\"\ntarget = \"Legacy.Example.com.\"\nreason = \"r\"\n\n\
                    [[ignore]]\nrule = \"spf/ptr-mechanism\"\ntarget = \"seq\"\nreason = \"r\"\n";
        let mut config = Config::parse(text, "m.toml").unwrap();
        config.anchor(dir.path());
        let targets: Vec<String> = config
            .ignores()
            .iter()
            .map(|i| i.target.clone().unwrap())
            .collect();
        // The temporary directory is outside the working directory: absolute paths; a name
        // that is no path stays as written.
        let base = crate::path::display(dir.path());
        assert_eq!(
            targets,
            [
                format!("{base}/seq/a.eml"),
                "Legacy.Example.com.".to_string(),
                format!("{base}/seq")
            ]
        );
    }

    #[test]
    fn layers_apply_in_order() {
        let mut rules = Rules::builtin().unwrap();
        let mut config =
            Config::parse("[rules.\"spf/ptr-mechanism\"]\nseverity = \"error\"\n", "a").unwrap();
        config.layer(
            Config::parse("[rules.\"spf/ptr-mechanism\"]\nseverity = \"info\"\n", "b").unwrap(),
        );
        rules.apply(&config).unwrap();
        assert_eq!(
            rules
                .get(crate::spf::rules::PTR_MECHANISM.as_str())
                .unwrap()
                .severity,
            Severity::Info
        );
        assert_eq!(config.sources(), ["a", "b"]);
    }

    #[test]
    fn apply_checks_ids_and_thresholds() {
        let cases = [
            (
                "[rules.\"spf/nope\"]\nseverity = \"off\"\n",
                "rules.\"spf/nope\"",
            ),
            (
                "[rules.\"spf/lookup-limit\"]\nthresholds = { warn_fro = 9 }\n",
                "rules.\"spf/lookup-limit\".thresholds.warn_fro",
            ),
            (
                "[rules.\"spf/lookup-limit\"]\nthresholds = { max = \"ten\" }\n",
                "rules.\"spf/lookup-limit\".thresholds.max",
            ),
            (
                "[[ignore]]\nrule = \"spf/nope\"\nreason = \"r\"\n",
                "ignore.rule = \"spf/nope\"",
            ),
        ];
        for (text, key) in cases {
            let config = Config::parse(text, "bad.toml").unwrap();
            let err = Rules::builtin()
                .unwrap()
                .apply(&config)
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("bad.toml:"), "{err}");
            assert!(err.contains(key), "{err} should name {key}");
        }
    }

    #[test]
    fn levels_override_check_severity_and_off_drops() {
        let mut rules = Rules::builtin().unwrap();
        let config = Config::parse(
            "[rules.\"spf/lookup-limit\"]\nseverity = \"info\"\nthresholds = { warn_from = 9 }\n[rules.\"spf/ptr-mechanism\"]\nseverity = \"off\"\n",
            "m",
        )
        .unwrap();
        rules.apply(&config).unwrap();
        assert_eq!(
            rules.threshold(crate::spf::rules::LOOKUP_LIMIT_WARN_FROM),
            9.0
        );
        let mut findings = vec![
            rules
                .finding(crate::spf::rules::LOOKUP_LIMIT, "a.example", "m")
                .with_severity(Severity::Warning),
            rules.finding(crate::spf::rules::PTR_MECHANISM, "a.example", "m"),
        ];
        rules.apply_levels(&mut findings);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].severity, Severity::Info);
        assert!(!rules.is_enabled(crate::spf::rules::PTR_MECHANISM.as_str()));
    }
}
