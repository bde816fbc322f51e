//! Settings layering: the built-in rule data, then the command's profile (`--profile`, a
//! campaign's `profile`), then the user's files (`./mailaudit.toml`, `--rules`, a campaign's
//! own `[rules]` and `[[ignore]]`), which win.

use super::{Command, CommonOptions};
use crate::campaign::Campaign;
use crate::config::Config;
use crate::rules::Rules;
use anyhow::{Context, Result};
use std::path::Path;

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
            Command::Check(options) => Some(Campaign::load(&options.campaign)?),
            _ => None,
        };
        let mut config = Config::discover(Path::new("."), common.rules.as_deref())?;
        if let Some(campaign) = &campaign {
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
