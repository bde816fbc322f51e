//! `--format github`: one workflow command per finding with file, line and title, escaped by
//! the runner's rules, then a plain summary line; no control byte from the input reaches the
//! log.

use crate::report_fixture;
use crate::report_runs;

use mailaudit::report::github::{escape_data, escape_property};
use mailaudit::report::{self, Format, RenderContext, SarifContext};
use report_runs::{Run, runs};

fn render(ctx: &RenderContext<'_>) -> String {
    let mut out = Vec::new();
    report::render_with(&report_fixture::report(), Format::Github, ctx, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn github_snapshot() {
    let mut locations = SarifContext::new();
    locations.add_fallback("zulu.example", "campaign.toml", 2);
    let ctx = RenderContext {
        rules: None,
        locations: Some(&locations),
    };
    insta::assert_snapshot!(render(&ctx));
}

/// Split `::cmd props::message` into its parts.
fn parse(line: &str) -> (&str, Vec<(&str, &str)>, &str) {
    let rest = line.strip_prefix("::").unwrap();
    let (head, message) = rest.split_once("::").unwrap();
    let (command, props) = head.split_once(' ').unwrap_or((head, ""));
    let props = props
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap())
        .collect();
    (command, props, message)
}

#[test]
fn one_command_per_finding_then_a_summary() {
    for run in runs() {
        let out = run.format("github", &[]);
        let json = run.json("json");
        let findings: Vec<&serde_json::Value> = json["results"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r["findings"].as_array().unwrap().iter())
            .collect();
        let lines: Vec<&str> = out.stdout.lines().collect();
        // The findings, the summary, a line for suppressed findings when there are any,
        // and the verdict; suppressed findings are not annotated.
        let suppressed = json["summary"]["suppressed"].as_u64().unwrap() as usize;
        let extra = 2 + usize::from(suppressed > 0);
        assert_eq!(lines.len(), findings.len() + extra, "{}", run.name);
        let summary = lines[findings.len()];
        assert!(summary.starts_with("mailaudit: "), "{summary}");
        assert!(summary.contains(&format!("{} findings", findings.len())) || findings.len() == 1);
        if suppressed > 0 {
            let line = lines[findings.len() + 1];
            assert!(
                line.starts_with("mailaudit: ") && line.contains("suppressed"),
                "{line}"
            );
        }
        let verdict = lines.last().unwrap();
        let (command, _, text) = parse(verdict);
        match json["verdict"].as_str().unwrap() {
            "pass" => assert!(command == "notice" && text.starts_with("PASS"), "{verdict}"),
            "fail" => assert!(command == "error" && text.starts_with("FAIL"), "{verdict}"),
            _ => assert!(
                command == "error" && text.starts_with("INCOMPLETE"),
                "{verdict}"
            ),
        }
        for (line, finding) in lines.iter().zip(&findings) {
            let (command, props, message) = parse(line);
            let expected = match finding["severity"].as_str().unwrap() {
                "error" => "error",
                "warning" => "warning",
                _ => "notice",
            };
            assert_eq!(command, expected, "{line}");
            let title = props.iter().find(|(k, _)| *k == "title").unwrap().1;
            assert_eq!(title, finding["rule"].as_str().unwrap().replace(':', "%3A"));
            // Every run here has files to point at (drafts, config files, the domains file,
            // the campaign file), except for domains named on the command line: those
            // annotations have no file (never the zone file the answers came from).
            let file = props.iter().find(|(k, _)| *k == "file");
            if matches!(run.name, "domain" | "spf pass" | "spf fail") {
                assert!(file.is_none(), "{}: a file in {line}", run.name);
                assert!(!props.iter().any(|(k, _)| *k == "line"), "{line}");
            } else {
                assert!(file.is_some(), "{}: no file in {line}", run.name);
                let line_no: u32 = props
                    .iter()
                    .find(|(k, _)| *k == "line")
                    .unwrap()
                    .1
                    .parse()
                    .unwrap();
                assert!(line_no >= 1);
            }
            assert!(!message.is_empty());
            assert!(!line.chars().any(|c| c.is_control()), "{line:?}");
        }
    }
}

#[test]
fn draft_annotations_name_the_file_and_line() {
    let run = Run::in_temp(
        "drafts",
        &["message", "drafts"],
        &[(
            "drafts/a,b.eml",
            "From: Ann <ann@acme.example>\nTo: sam@prospect.example\nSubject: Re: 100% ready\n\
             Date: Tue, 04 Mar 2025 09:00:00 +0000\nMessage-ID: <1@acme.example>\n\nHi Sam.\n",
        )],
    );
    let out = run.format("github", &[]).stdout;
    let fake = out
        .lines()
        .find(|l| l.contains("title=subject/fake-reply"))
        .unwrap();
    // The comma of the file name is escaped in the property; the message keeps its own
    // commas and colons but escapes % and the line break before the help.
    assert!(
        fake.starts_with("::error file=drafts/a%2Cb.eml,line=3,title=subject/fake-reply::"),
        "{fake}"
    );
    assert!(fake.contains("%0Ahelp: "), "{fake}");
    let missing = out
        .lines()
        .find(|l| l.contains("title=unsubscribe/missing"))
        .unwrap();
    assert!(
        missing.contains("file=drafts/a%2Cb.eml,line=1,"),
        "{missing}"
    );
}

#[test]
fn dns_annotations_point_at_the_domains_file_and_name_the_domain() {
    let run = Run::in_temp(
        "domains file",
        &[
            "domain",
            "--zone",
            "{fixtures}/zones",
            "--domains-file",
            "domains.txt",
        ],
        &[(
            "domains.txt",
            "acme-mail.example\n# gone:\nnosuch.example\n",
        )],
    );
    let out = run.format("github", &[]).stdout;
    let line = out
        .lines()
        .find(|l| l.contains("title=spf/missing"))
        .unwrap();
    assert!(
        line.starts_with("::error file=domains.txt,line=3,title=spf/missing::nosuch.example "),
        "{line}"
    );
}

#[test]
fn without_any_file_an_annotation_has_only_a_title() {
    let out = render(&RenderContext::default());
    let line = out
        .lines()
        .find(|l| l.contains("title=spf/lookup-limit"))
        .unwrap();
    assert!(
        line.starts_with("::error title=spf/lookup-limit::the SPF tree of alpha.example"),
        "{line}"
    );
}

#[test]
fn hostile_bytes_cannot_start_commands_or_reach_the_terminal() {
    let out = render(&RenderContext::default());
    // The fixture's record holds ESC [2J, a bidi override and a CR.
    assert!(!out.contains('\u{1b}'));
    assert!(!out.contains('\u{202e}'));
    assert!(!out.contains('\r'));
    assert!(out.contains("\\x1b[2J"));
    assert!(out.contains("\\u{202e}"));
    for line in out.lines() {
        assert!(
            line.starts_with("::") || line.starts_with("mailaudit: "),
            "{line:?}"
        );
    }
    assert_eq!(escape_data("a\nb::c"), "a%0Ab::c");
    assert_eq!(escape_property("x,line=9"), "x%2Cline=9");
    assert_eq!(escape_property("C:\\a"), "C%3A\\a");
}
