//! Settings layering: the built-in rule data, then the command's profile (`--profile`, a
//! campaign's `profile`), then the user's files (the nearest `mailaudit.toml`, `--rules`, a
//! campaign's own `[rules]` and `[[ignore]]`), which win.

use super::{Command, CommonOptions};
use crate::campaign::Campaign;
use crate::config::Config;
use crate::rules::Rules;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// The effective rules and configuration of one run.
#[derive(Clone, Debug)]
pub struct Settings {
    pub rules: Rules,
    pub config: Config,
    /// The campaign file of `check`, loaded first: it names the profile and holds rule
    /// overrides and ignores of its own.
    pub campaign: Option<Campaign>,
}

impl Settings {
    pub fn load(common: &CommonOptions, command: &Command) -> Result<Settings> {
        let campaign = match command {
            Command::Check(options) => Some(load_campaign(&options.campaign)?),
            _ => None,
        };
        let cwd = std::env::current_dir().context("cannot read the working directory")?;
        let mut config = Config::discover(&cwd, common.rules.as_deref())?;
        // A campaign file counts among the configuration files only when it holds rules or
        // ignores of its own.
        if let Some(campaign) = campaign.as_ref().filter(|c| !c.config.is_empty()) {
            config.layer(campaign.config.clone());
        }
        let mut rules = Rules::builtin().context("the built-in rule data is broken")?;
        rules
            .check_thresholds(&super::registry::thresholds())
            .context("the built-in rule data is broken")?;
        // A profile changes the built-in data; the user's files are layered on top of it.
        if let Command::Message(options) = command {
            rules.apply_profile(&options.profile)?;
        }
        if let Some(campaign) = &campaign {
            rules.apply_profile(&campaign.profile)?;
        }
        rules.apply(&config)?;
        Ok(Settings {
            rules,
            config,
            campaign,
        })
    }
}

/// A campaign file with every path it names in its one form ([`crate::path`]), and the path
/// targets of its ignores relative to its directory, as in any configuration file.
fn load_campaign(path: &Path) -> Result<Campaign> {
    let mut campaign = Campaign::load(path)?;
    let one = |p: &PathBuf| crate::path::normalize(p);
    campaign.drafts = campaign.drafts.iter().map(one).collect();
    campaign.stats = campaign.stats.iter().map(one).collect();
    campaign.recipients = campaign.recipients.as_ref().map(one);
    campaign.suppressions = campaign.suppressions.iter().map(one).collect();
    campaign.zones = campaign.zones.iter().map(one).collect();
    campaign.path = one(&campaign.path);
    campaign.source = crate::path::to_text(&campaign.path);
    campaign
        .config
        .anchor(campaign.path.parent().unwrap_or(Path::new("")));
    Ok(campaign)
}
