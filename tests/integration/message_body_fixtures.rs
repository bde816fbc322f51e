//! The body fixtures (`fixtures/drafts/body/`) fire the body rules their README lists.
//! The drafts are split with a minimal MIME reader (7bit/8bit parts only, enough for these
//! fixtures); the real parsing is mail-parser's, in the message core.

use mailaudit::message::body::{Attachment, BodyInput, BodyPart, analyze_body};
use mailaudit::rules::Rules;
use std::collections::BTreeSet;

struct RawPart {
    content_type: String,
    disposition: String,
    body: String,
    start_line: u32,
}

/// Header block and body of an entity starting at 1-based `first_line`.
fn split_entity(text: &str, first_line: u32) -> (Vec<(String, String)>, String, u32) {
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut line_no = first_line;
    let mut lines = text.split_inclusive('\n');
    for line in lines.by_ref() {
        line_no += 1;
        let l = line.trim_end_matches(['\r', '\n']);
        if l.is_empty() {
            break;
        }
        if l.starts_with([' ', '\t']) {
            if let Some(last) = headers.last_mut() {
                last.1.push(' ');
                last.1.push_str(l.trim());
            }
        } else if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    (headers, lines.collect(), line_no)
}

fn header<'h>(headers: &'h [(String, String)], name: &str) -> &'h str {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

fn parts(text: &str) -> Vec<RawPart> {
    let (headers, body, body_line) = split_entity(text, 0);
    let ct = header(&headers, "content-type").to_string();
    let Some(boundary) = ct
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))
        .map(|b| b.trim_matches('"').to_string())
    else {
        return vec![RawPart {
            content_type: ct,
            disposition: String::new(),
            body,
            start_line: body_line,
        }];
    };
    let delimiter = format!("--{boundary}");
    let mut out = Vec::new();
    let mut current: Option<(String, u32)> = None;
    let mut line_no = body_line - 1;
    for line in body.split_inclusive('\n') {
        line_no += 1;
        let l = line.trim_end_matches(['\r', '\n']);
        if l == delimiter || l == format!("{delimiter}--") {
            if let Some((entity, first)) = current.take() {
                let (h, b, start) = split_entity(&entity, first - 1);
                out.push(RawPart {
                    content_type: header(&h, "content-type").to_string(),
                    disposition: header(&h, "content-disposition").to_string(),
                    body: b,
                    start_line: start,
                });
            }
            if l == delimiter {
                current = Some((String::new(), line_no + 1));
            }
        } else if let Some((entity, _)) = current.as_mut() {
            entity.push_str(line);
        }
    }
    out
}

fn fired(name: &str, template_mode: bool) -> BTreeSet<String> {
    let path = format!("{}/fixtures/drafts/body/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("fixture reads");
    let raw = parts(&text);
    let mut body_parts = Vec::new();
    let mut attachments = Vec::new();
    for p in &raw {
        let ct = p.content_type.split(';').next().unwrap_or("").trim();
        if p.disposition.starts_with("attachment") || !ct.starts_with("text/") {
            attachments.push(Attachment {
                filename: p
                    .disposition
                    .split("filename=")
                    .nth(1)
                    .map(|f| f.trim_matches('"')),
                content_type: ct,
                size: p.body.len(),
            });
        } else {
            body_parts.push(BodyPart {
                content_type: ct,
                text: &p.body,
                start_line: p.start_line,
                lines_match_file: true,
            });
        }
    }
    let input = BodyInput {
        file: &path,
        parts: body_parts,
        attachments,
        from_domain: text
            .lines()
            .find(|l| l.starts_with("From:"))
            .and_then(|l| l.rsplit('@').next())
            .map(|d| d.trim_end_matches('>').trim()),
        template_mode,
    };
    let analysis = analyze_body(&input, &Rules::builtin().unwrap(), &path);
    for f in &analysis.findings {
        if let Some(mailaudit::finding::Location::Line { line, .. }) = &f.location {
            let total = text.lines().count() as u32;
            assert!(
                *line >= 1 && *line <= total,
                "{name}: {} at line {line} of {total}",
                f.rule
            );
        }
    }
    analysis.findings.iter().map(|f| f.rule.clone()).collect()
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

#[test]
fn compliant_draft_is_silent() {
    assert_eq!(fired("compliant.eml", false), set(&[]));
}

#[test]
fn compliance_missing() {
    assert_eq!(
        fired("compliance-missing.eml", false),
        set(&[
            "body/no-opt-out",
            "body/no-postal-address",
            "body/no-sender-identity"
        ])
    );
}

#[test]
fn links() {
    assert_eq!(
        fired("links.eml", false),
        set(&[
            "body/insecure-link",
            "body/link-density",
            "body/link-text-mismatch",
            "body/multiple-ctas",
            "body/no-text-part",
            "body/too-many-links",
            "body/url-shortener",
            "body/word-count",
        ])
    );
}

#[test]
fn merge_tags_rendered() {
    assert_eq!(
        fired("merge-tags.eml", false),
        set(&["body/unresolved-merge-tag"])
    );
}

#[test]
fn template_sequence() {
    assert_eq!(
        fired("template-sequence.eml", true),
        set(&[
            "template/merge-tag-syntax",
            "template/mixed-syntax",
            "template/no-fallback"
        ])
    );
}

#[test]
fn hidden_and_images() {
    assert_eq!(
        fired("hidden-and-images.eml", false),
        set(&[
            "body/hidden-text",
            "body/image-only",
            "body/link-density",
            "body/no-text-part",
            "body/word-count",
        ])
    );
}

#[test]
fn attachment() {
    assert_eq!(fired("attachment.eml", false), set(&["body/attachment"]));
}
