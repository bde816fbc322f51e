//! Settles each target's result as an audit finishes it, and renders the report.

use super::output::{Output, OutputError};
use super::{Format, JsonlWriter, RenderContext, SarifContext};
use crate::config::{self, Config, Suppressor};
use crate::finding::{self, Finding, Severity};
use crate::rules::Rules;
use crate::run::{Kind, Report, Summary, TargetResult};
use std::collections::BTreeMap;

/// Receives each target's result as the audit finishes it and settles it (the user's rule
/// levels, then ignores, then report order). jsonl results are written at once; the other
/// formats need the whole report, which [`ResultSink::finish`] renders.
pub struct ResultSink<'a> {
    rules: &'a Rules,
    suppressor: Suppressor<'a>,
    checked: Vec<&'static str>,
    format: Format,
    stream: Option<JsonlWriter<Output>>,
    output: Option<Output>,
    report: Report,
    summary: Summary,
    worst: Option<Severity>,
    locations: SarifContext,
}

impl<'a> ResultSink<'a> {
    pub fn new(
        rules: &'a Rules,
        config: &'a Config,
        format: Format,
        output: Output,
        report: Report,
    ) -> ResultSink<'a> {
        let (stream, output) = match format {
            Format::Jsonl => (Some(JsonlWriter::new(output)), None),
            _ => (None, Some(output)),
        };
        ResultSink {
            rules,
            suppressor: Suppressor::new(config),
            checked: Vec::new(),
            format,
            stream,
            output,
            report,
            summary: Summary::default(),
            worst: None,
            locations: SarifContext::default(),
        }
    }

    /// Where the inputs named each target, for the locations of sarif and github output.
    pub fn locations_mut(&mut self) -> &mut SarifContext {
        &mut self.locations
    }

    /// Record that these rules ran, so an ignore of one of them that matched nothing is
    /// reported (config/unused-ignore), and ignores for rules that did not run are not.
    pub fn checked(&mut self, rules: &[&'static str]) {
        self.checked.extend_from_slice(rules);
    }

    /// One target is done.
    pub fn emit(&mut self, mut result: TargetResult) -> Result<(), OutputError> {
        self.rules.apply_levels(&mut result.findings);
        self.suppressor
            .suppress(&result.target, &mut result.findings);
        self.push(result)
    }

    fn push(&mut self, mut result: TargetResult) -> Result<(), OutputError> {
        finding::sort_findings(&mut result.findings);
        self.summary.add(&result);
        self.worst = self.worst.max(result.max_severity());
        match &mut self.stream {
            Some(writer) => writer.write_result(&result)?,
            None => self.report.results.push(result),
        }
        Ok(())
    }

    /// Add the config/unused-ignore findings, render, and put the output in place.
    /// Returns the worst severity of the run.
    pub fn finish(mut self) -> Result<Option<Severity>, OutputError> {
        let unused = self.suppressor.unused(&self.checked);
        let mut by_file: BTreeMap<String, Vec<Finding>> = BTreeMap::new();
        for finding in config::unused_ignore_findings(self.rules, &unused) {
            by_file
                .entry(finding.target.clone())
                .or_default()
                .push(finding);
        }
        for (file, mut findings) in by_file {
            self.rules.apply_levels(&mut findings);
            let mut result = TargetResult::new(file, Kind::Config);
            result.findings = findings;
            self.push(result)?;
        }
        let output = match (self.stream, self.output) {
            (Some(writer), _) => writer.into_inner(),
            (None, Some(mut output)) => {
                let ctx = RenderContext {
                    rules: Some(self.rules),
                    locations: Some(&self.locations),
                };
                super::render_with(&self.report, self.format, &ctx, &mut output)?;
                output
            }
            (None, None) => unreachable!("a sink has a stream or an output"),
        };
        output.commit()?;
        Ok(self.worst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::Mode;

    /// The shared path: user levels, ignores, unused ignores, rendering to --output, and the
    /// worst severity that decides the exit status.
    #[test]
    fn results_are_settled_rendered_and_graded() {
        let config = Config::parse(
            "[rules.\"spf/lookup-limit\"]\nseverity = \"warning\"\n\n\
             [[ignore]]\nrule = \"spf/ptr-mechanism\"\ntarget = \"a.example\"\nreason = \"vendor\"\n\n\
             [[ignore]]\nrule = \"spf/mx-limit\"\nreason = \"stale\"\n",
            "mailaudit.toml",
        )
        .unwrap();
        let mut rules = Rules::builtin().unwrap();
        rules.apply(&config).unwrap();

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        let output = Output::open(Some(&path)).unwrap();
        let report = Report::new(
            "domain",
            Mode::Live {
                nameservers: vec![],
            },
        );
        let mut sink = ResultSink::new(&rules, &config, Format::Json, output, report);
        sink.checked(crate::spf::audit::RULES);
        let mut result = TargetResult::new("a.example", Kind::Domain);
        result.findings = vec![
            rules.finding("spf/ptr-mechanism", "a.example", "ptr"),
            rules.finding("spf/lookup-limit", "a.example", "12 lookups"),
        ];
        sink.emit(result).unwrap();
        assert!(!path.exists(), "the report is put in place only at the end");
        let worst = sink.finish().unwrap();

        // lookup-limit lowered to warning, ptr ignored, the mx-limit ignore unused.
        assert_eq!(worst, Some(Severity::Warning));
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let results = json["results"].as_array().unwrap();
        assert_eq!(results.len(), 2);
        assert_eq!(results[0]["target"], "a.example");
        assert_eq!(results[0]["findings"].as_array().unwrap().len(), 1);
        assert_eq!(results[0]["findings"][0]["severity"], "warning");
        assert_eq!(results[1]["kind"], "config");
        assert_eq!(results[1]["findings"][0]["rule"], "config/unused-ignore");
        assert_eq!(
            results[1]["findings"][0]["location"],
            serde_json::json!({"kind": "line", "file": "mailaudit.toml", "line": 9})
        );
    }

    #[test]
    fn ignores_of_rules_that_did_not_run_are_not_unused() {
        let config = Config::parse(
            "[[ignore]]\nrule = \"spf/mx-limit\"\nreason = \"r\"\n",
            "mailaudit.toml",
        )
        .unwrap();
        let rules = Rules::builtin().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.jsonl");
        let output = Output::open(Some(&path)).unwrap();
        let report = Report::new(
            "spf",
            Mode::Live {
                nameservers: vec![],
            },
        );
        let sink = ResultSink::new(&rules, &config, Format::Jsonl, output, report);
        assert_eq!(sink.finish().unwrap(), None);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "");
    }
}
