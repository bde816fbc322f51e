//! Output of `mailaudit rules`: the rule list and one rule's documentation in its fixed
//! sections. Rule data is compiled in, not input, but text still goes through the same
//! escaping so this stays true if rule data ever comes from elsewhere.

use crate::config::Level;
use crate::rules::{RuleMeta, Rules};
use crate::text::escape_untrusted;
use colored::Colorize;
use std::io::{self, Write};

/// Width of the id column of `mailaudit rules`.
const ID_COLUMN: usize = 30;

/// The severity a rule runs at in this configuration ("off" when the user turned it off).
pub fn effective_level(rules: &Rules, meta: &RuleMeta) -> &'static str {
    match rules.user_level(&meta.id) {
        Some(Level::Off) => "off",
        _ => meta.severity.as_str(),
    }
}

/// One line per rule, sorted by id: id, severity, title.
pub fn write_list(rules: &Rules, out: &mut dyn Write) -> io::Result<()> {
    write_rows(rules, rules.iter(), out)
}

/// The rules of one family (`mailaudit rules spf`), as [`write_list`] writes them.
pub fn write_family(rules: &Rules, family: &str, out: &mut dyn Write) -> io::Result<()> {
    write_rows(rules, rules.family(family), out)
}

fn write_rows<'a>(
    rules: &Rules,
    metas: impl Iterator<Item = &'a RuleMeta>,
    out: &mut dyn Write,
) -> io::Result<()> {
    // A fixed id column, so adding a longer rule id does not reflow every line; a longer id
    // only pushes its own line.
    let width = ID_COLUMN;
    writeln!(out, "{:width$}  {:8}  TITLE", "ID", "SEVERITY")?;
    for meta in metas {
        writeln!(
            out,
            "{:width$}  {:8}  {}",
            meta.id,
            effective_level(rules, meta),
            escape_untrusted(&meta.title)
        )?;
    }
    Ok(())
}

/// The full documentation of one rule.
pub fn write_doc(rules: &Rules, meta: &RuleMeta, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}: {}", meta.id.bold(), escape_untrusted(&meta.title))?;
    let level = effective_level(rules, meta);
    if rules.user_level(&meta.id).is_some() {
        writeln!(out, "Severity: {level} (set in your rules file)")?;
    } else {
        writeln!(out, "Severity: {level}")?;
    }
    for (heading, text) in meta.doc_sections() {
        writeln!(out, "\n{}", heading.bold())?;
        for line in text.lines() {
            write_indented(out, line)?;
        }
    }
    writeln!(out, "\n{}", "Thresholds".bold())?;
    if meta.thresholds.is_empty() {
        writeln!(out, "  (none)")?;
    }
    for (name, value) in &meta.thresholds {
        writeln!(out, "  {name} = {value}")?;
    }
    Ok(())
}

fn write_indented(out: &mut dyn Write, line: &str) -> io::Result<()> {
    if line.trim().is_empty() {
        writeln!(out)
    } else {
        writeln!(out, "  {}", escape_untrusted(line))
    }
}
