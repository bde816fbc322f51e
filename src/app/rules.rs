//! `mailaudit rules [RULE|FAMILY]`: the rule list, one family's rules, or one rule's
//! documentation.

use super::CommonOptions;
use crate::report::{self, Format, Output};
use crate::rules::Rules;
use crate::run::Verdict;
use anyhow::{Result, bail};

pub(super) fn show(common: &CommonOptions, rules: &Rules, id: Option<&str>) -> Result<Verdict> {
    let family = id.filter(|query| rules.get(query).is_none());
    if let Some(query) = family
        && rules.family(query).next().is_none()
    {
        bail!(
            "unknown rule `{query}`{}; `mailaudit rules` lists the rule ids",
            rules.suggestion(query)
        );
    }
    let mut output = Output::open(common.output.as_deref())?;
    match (id.and_then(|id| rules.get(id)), family, common.format) {
        (Some(meta), _, Format::Human) => report::rules::write_doc(rules, meta, &mut output)?,
        (None, Some(family), Format::Human) => {
            report::rules::write_family(rules, family, &mut output)?;
        }
        (None, None, Format::Human) => report::rules::write_list(rules, &mut output)?,
        (_, _, Format::Json) => report::json::write_rules(rules, id, &mut output)?,
        (_, _, Format::Jsonl | Format::Sarif | Format::Github | Format::Csv) => {
            bail!("`mailaudit rules` has no jsonl, sarif, github or csv form; use --format json")
        }
    }
    output.commit()?;
    Ok(Verdict::Pass)
}
