//! The sink every command's results go through: settled ([`Settler`]) as each target
//! finishes, then written ([`ReportWriter`]); the run's [`Gate`] gives the verdict, which
//! decides the exit status.

use super::CommonOptions;
use super::settle::Settler;
use crate::config::Config;
use crate::report::output::{Output, OutputError};
use crate::report::writer::ReportWriter;
use crate::report::{Format, RenderContext, SarifContext};
use crate::rules::{RuleId, Rules};
use crate::run::{Gate, Mode, Report, TargetResult, Verdict};

pub struct ResultSink<'a> {
    rules: &'a Rules,
    settler: Settler<'a>,
    writer: ReportWriter,
    gate: Gate,
    locations: SarifContext,
}

impl<'a> ResultSink<'a> {
    /// A sink for one run of `command`, writing in the run's format to its output.
    pub fn open(
        rules: &'a Rules,
        config: &'a Config,
        common: &CommonOptions,
        command: &str,
        mode: Mode,
    ) -> Result<ResultSink<'a>, OutputError> {
        let output = Output::open(common.output.as_deref())?;
        let mut report = Report::new(command, mode);
        report.fail_on = common.fail_on;
        report.config = config.sources().to_vec();
        Ok(ResultSink::new(
            rules,
            config,
            common.format,
            output,
            report,
        ))
    }

    /// `report` holds the run's command, mode and `fail_on`; its results come through
    /// [`Self::emit`].
    pub fn new(
        rules: &'a Rules,
        config: &'a Config,
        format: Format,
        output: Output,
        report: Report,
    ) -> ResultSink<'a> {
        ResultSink {
            rules,
            settler: Settler::new(rules, config),
            gate: Gate::new(report.fail_on),
            writer: ReportWriter::new(format, output, report),
            locations: SarifContext::default(),
        }
    }

    /// Where the inputs named each target, for the locations of sarif and github output.
    pub fn locations_mut(&mut self) -> &mut SarifContext {
        &mut self.locations
    }

    /// Record that these rules ran (see [`Settler::checked`]).
    pub fn checked(&mut self, rules: &[RuleId]) {
        self.settler.checked(rules);
    }

    /// One target is done.
    pub fn emit(&mut self, mut result: TargetResult) -> Result<(), OutputError> {
        self.settler.settle(&mut result);
        self.push(result)
    }

    fn push(&mut self, result: TargetResult) -> Result<(), OutputError> {
        self.gate.add(&result);
        self.writer.write(result)
    }

    /// Add the config/unused-ignore findings, render, and put the output in place.
    /// Returns the run's verdict.
    pub fn finish(mut self) -> Result<Verdict, OutputError> {
        for result in self.settler.unused_ignores() {
            self.push(result)?;
        }
        let ctx = RenderContext {
            rules: Some(self.rules),
            locations: Some(&self.locations),
        };
        self.writer.finish(&ctx)?;
        Ok(self.gate.verdict())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Severity;
    use crate::report::Output;

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
        sink.checked(crate::spf::rules::RULES);
        let mut result = TargetResult::new("a.example", crate::run::Kind::Domain);
        result.findings = vec![
            rules.finding(crate::spf::rules::PTR_MECHANISM, "a.example", "ptr"),
            rules.finding(crate::spf::rules::LOOKUP_LIMIT, "a.example", "12 lookups"),
        ];
        sink.emit(result).unwrap();
        assert!(!path.exists(), "the report is put in place only at the end");
        let worst = sink.finish().unwrap();

        // lookup-limit lowered to warning (under the default --fail-on error), ptr ignored,
        // the mx-limit ignore unused.
        assert_eq!(worst, Verdict::Pass);
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let results = json["results"].as_array().unwrap();
        assert_eq!(results.len(), 2);
        assert_eq!(results[0]["target"], "a.example");
        assert_eq!(results[0]["findings"].as_array().unwrap().len(), 1);
        assert_eq!(results[0]["findings"][0]["severity"], "warning");
        // The ignored finding is kept, with the ignore that waived it.
        assert_eq!(
            results[0]["suppressed"],
            serde_json::json!([{
                "rule": "spf/ptr-mechanism",
                "severity": "warning",
                "message": "ptr",
                "reason": "vendor",
                "source": "config",
                "file": "mailaudit.toml",
                "line": 4
            }])
        );
        assert_eq!(json["summary"]["suppressed"], 1);
        assert_eq!(json["verdict"], "pass");
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
        assert_eq!(sink.finish().unwrap(), Verdict::Pass);
        // Only the summary line: no config result.
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"schema_version\":1,\"kind\":\"summary\",\"summary\":{\"targets\":0,\"findings\":0,\
             \"error\":0,\"warning\":0,\"info\":0,\"suppressed\":0},\"verdict\":\"pass\"}\n"
        );
    }

    /// The verdict comes from the settled findings at the run's --fail-on: a suppressed
    /// error never fails, a warning fails at --fail-on warning, and a dns/inconclusive
    /// alone makes the run incomplete.
    #[test]
    fn the_verdict_reads_settled_findings_at_fail_on() {
        let config = Config::parse(
            "[[ignore]]\nrule = \"spf/lookup-limit\"\nreason = \"r\"\n",
            "mailaudit.toml",
        )
        .unwrap();
        let rules = Rules::builtin().unwrap();
        let verdict = |fail_on: Option<Severity>, findings: Vec<crate::finding::Finding>| {
            let dir = tempfile::tempdir().unwrap();
            let output = Output::open(Some(&dir.path().join("r.json"))).unwrap();
            let mut report = Report::new(
                "domain",
                Mode::Live {
                    nameservers: vec![],
                },
            );
            report.fail_on = fail_on;
            let mut sink = ResultSink::new(&rules, &config, Format::Json, output, report);
            let mut result = TargetResult::new("a.example", crate::run::Kind::Domain);
            result.findings = findings;
            sink.emit(result).unwrap();
            sink.finish().unwrap()
        };
        let error = || rules.finding(crate::spf::rules::LOOKUP_LIMIT, "a.example", "12");
        let warning = || rules.finding(crate::spf::rules::PTR_MECHANISM, "a.example", "ptr");
        let inconclusive = || {
            rules
                .finding(crate::dns::rules::INCONCLUSIVE, "a.example", "timeout")
                .with_severity(Severity::Warning)
        };
        let warn = Some(Severity::Warning);
        assert_eq!(verdict(Some(Severity::Error), vec![error()]), Verdict::Pass);
        assert_eq!(verdict(warn, vec![error(), warning()]), Verdict::Fail);
        assert_eq!(verdict(warn, vec![inconclusive()]), Verdict::Incomplete);
        assert_eq!(
            verdict(warn, vec![inconclusive(), warning()]),
            Verdict::Fail
        );
        assert_eq!(
            verdict(Some(Severity::Error), vec![inconclusive()]),
            Verdict::Pass
        );
        assert_eq!(
            verdict(None, vec![inconclusive(), warning()]),
            Verdict::Pass
        );
    }
}
