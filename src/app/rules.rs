//! `mailaudit rules [RULE]`: the rule list, or one rule's documentation.

use super::CommonOptions;
use crate::report::{self, Format, Output};
use crate::rules::Rules;
use crate::run::Verdict;
use anyhow::{Result, bail};

pub(super) fn show(common: &CommonOptions, rules: &Rules, id: Option<&str>) -> Result<Verdict> {
    if let Some(id) = id
        && rules.get(id).is_none()
    {
        bail!("unknown rule `{id}`; `mailaudit rules` lists the rule ids");
    }
    let mut output = Output::open(common.output.as_deref())?;
    match (id.and_then(|id| rules.get(id)), common.format) {
        (None, Format::Human) => report::rules::write_list(rules, &mut output)?,
        (Some(meta), Format::Human) => report::rules::write_doc(rules, meta, &mut output)?,
        (_, Format::Json) => report::json::write_rules(rules, id, &mut output)?,
        (_, Format::Jsonl | Format::Sarif | Format::Github) => {
            bail!("`mailaudit rules` has no jsonl, sarif or github form; use --format json")
        }
    }
    output.commit()?;
    Ok(Verdict::Pass)
}
