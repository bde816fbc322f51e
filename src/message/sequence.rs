//! Sequence rules: the drafts of one directory are the touches of one sequence, in file-name
//! order (SPEC §4.5).

use crate::finding::{Finding, Location};
use crate::message::rules::{SEQUENCE_LENGTH, SEQUENCE_LENGTH_MAX_TOUCHES, SEQUENCE_SENDER_DRIFT};
use crate::rules::Rules;
use serde::Serialize;

/// What the sequence checks keep of one touch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Touch {
    /// The draft's path, as its own result names it.
    pub file: String,
    /// The From domain, lower-case; None when the draft has none (or did not parse).
    pub from_domain: Option<String>,
    /// The From display name, as decoded.
    pub from_name: Option<String>,
    /// 1-based line of the From field.
    pub from_line: Option<u32>,
}

/// Facts of a sequence.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SequenceFacts {
    pub touches: usize,
    /// File names of the touches, in order.
    pub files: Vec<String>,
    /// The distinct From domains, in order of first use.
    pub from_domains: Vec<String>,
}

fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

fn describe(touch: &Touch) -> String {
    let domain = touch.from_domain.as_deref().unwrap_or("(no domain)");
    match &touch.from_name {
        Some(name) => format!("\"{name}\" at {domain}"),
        None => format!("{domain} (no display name)"),
    }
}

/// The sequence checks for the touches of directory `dir`, in order.
pub fn check(dir: &str, touches: &[Touch], rules: &Rules) -> (SequenceFacts, Vec<Finding>) {
    let mut findings = Vec::new();
    let mut facts = SequenceFacts {
        touches: touches.len(),
        files: touches
            .iter()
            .map(|t| file_name(&t.file).to_string())
            .collect(),
        from_domains: Vec::new(),
    };
    for domain in touches.iter().filter_map(|t| t.from_domain.as_ref()) {
        if !facts.from_domains.contains(domain) {
            facts.from_domains.push(domain.clone());
        }
    }

    // Each touch against the sequence's sender: the first touch that has a From address. A
    // touch that goes back to that sender after a drifting one does not fire again.
    let mut first: Option<(usize, &Touch)> = None;
    for (index, touch) in touches.iter().enumerate() {
        if touch.from_domain.is_none() {
            continue;
        }
        let Some((first_index, sender)) = first else {
            first = Some((index, touch));
            continue;
        };
        let domain_changed = sender.from_domain != touch.from_domain;
        let name_changed =
            sender.from_name.as_deref().map(str::trim) != touch.from_name.as_deref().map(str::trim);
        if !(domain_changed || name_changed) {
            continue;
        }
        let what = match (domain_changed, name_changed) {
            (true, true) => "From domain and display name",
            (true, false) => "From domain",
            _ => "From display name",
        };
        findings.push(
            rules
                .finding(
                    SEQUENCE_SENDER_DRIFT,
                    dir,
                    format!(
                        "touch {} ({}) changes the {what}: {} where touch {} ({}) sent as {}",
                        index + 1,
                        file_name(&touch.file),
                        describe(touch),
                        first_index + 1,
                        file_name(&sender.file),
                        describe(sender),
                    ),
                )
                .with_record(describe(touch))
                .at(Location::Line {
                    file: touch.file.clone(),
                    line: touch.from_line.unwrap_or(1),
                }),
        );
    }

    let max = rules.threshold(SEQUENCE_LENGTH_MAX_TOUCHES);
    if touches.len() as f64 > max {
        let first_extra = touches
            .get(max.max(0.0) as usize)
            .map_or(dir, |t| t.file.as_str());
        findings.push(
            rules
                .finding(
                    SEQUENCE_LENGTH,
                    dir,
                    format!("the sequence has {} touches (at most {max})", touches.len()),
                )
                .with_measured(touches.len())
                .with_threshold(max)
                .at(Location::Line {
                    file: first_extra.to_string(),
                    line: 1,
                }),
        );
    }
    (facts, findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(file: &str, domain: &str, name: Option<&str>) -> Touch {
        Touch {
            file: file.into(),
            from_domain: Some(domain.into()),
            from_name: name.map(Into::into),
            from_line: Some(2),
        }
    }

    #[test]
    fn drift_is_reported_at_each_change() {
        let rules = Rules::builtin().unwrap();
        let touches = [
            touch("s/01.eml", "example.com", Some("Ann")),
            touch("s/02.eml", "example.com", Some("Ann")),
            touch("s/03.eml", "example.net", Some("Ann")),
            touch("s/04.eml", "example.net", Some("Ann Lee")),
        ];
        let (facts, findings) = check("s", &touches, &rules);
        assert_eq!(facts.from_domains, ["example.com", "example.net"]);
        assert_eq!(findings.len(), 2);
        assert!(
            findings[0]
                .message
                .contains("touch 3 (03.eml) changes the From domain")
        );
        assert!(findings[1].message.contains("display name"));
        assert_eq!(
            findings[1].location,
            Some(Location::Line {
                file: "s/04.eml".into(),
                line: 2
            })
        );
    }
}
