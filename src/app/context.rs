//! The audit context: what every command gets from the shared options — where DNS answers
//! come from (zone files or live servers), the report's mode, concurrency — and the
//! resolver and runtime built from it. `check` builds the same context from its campaign's
//! `zones` when the command line names no DNS source.

use crate::dns::{LiveConfig, Resolver, ZoneSet};
use crate::input::{self, InputKind};
use crate::rules::Rules;
use crate::run::Mode;
use anyhow::{Context, Result, bail};
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Duration;

/// The DNS and concurrency options every command shares.
#[derive(Clone, Debug)]
pub struct DnsOptions {
    /// Answer DNS from these zone files or directories of `*.zone` files (offline).
    pub zone: Vec<PathBuf>,
    /// Live DNS servers; empty means the system's resolvers.
    pub nameservers: Vec<SocketAddr>,
    /// Give up on a DNS query after this long.
    pub timeout: Duration,
    /// Audit at most this many targets at once.
    pub concurrency: NonZeroUsize,
    /// The largest zone file read, in bytes (`--max-zone-size`).
    pub max_zone_size: u64,
}

impl DnsOptions {
    /// The options with the zone paths normalised ([`crate::path::normalize`]).
    pub fn normalized(&self) -> DnsOptions {
        DnsOptions {
            zone: self
                .zone
                .iter()
                .map(|p| crate::path::normalize(p))
                .collect(),
            ..self.clone()
        }
    }
}

/// What every audit gets from the shared options.
pub struct AuditContext<'a> {
    pub rules: &'a Rules,
    pub mode: Mode,
    /// Offline when not empty: answer DNS from these files only (directories expanded).
    pub zone_files: Vec<PathBuf>,
    /// Live DNS servers; empty means the system's resolvers.
    pub nameservers: Vec<SocketAddr>,
    pub timeout: Duration,
    pub concurrency: NonZeroUsize,
    pub max_zone_size: u64,
}

impl<'a> AuditContext<'a> {
    /// The context of the command-line options. A zone file that cannot be read, is not a
    /// regular file or is over `--max-zone-size` fails here (exit 2), before any output.
    pub fn new(dns: &DnsOptions, rules: &'a Rules) -> Result<AuditContext<'a>> {
        let zone_files = expand_zone_paths(&dns.zone)?;
        for path in &zone_files {
            input::open_limited(path, InputKind::ZoneFile, dns.max_zone_size)?;
        }
        let mode = if dns.zone.is_empty() {
            Mode::Live {
                nameservers: dns.nameservers.iter().map(|a| a.to_string()).collect(),
            }
        } else {
            Mode::Offline {
                zone_files: dns.zone.iter().map(|p| p.display().to_string()).collect(),
            }
        };
        Ok(AuditContext {
            rules,
            mode,
            zone_files,
            nameservers: dns.nameservers.clone(),
            timeout: dns.timeout,
            concurrency: dns.concurrency,
            max_zone_size: dns.max_zone_size,
        })
    }

    /// The context of `check`: the campaign's `zones` stand in for `--zone` when the command
    /// line names no DNS source.
    pub fn for_campaign(
        dns: &DnsOptions,
        rules: &'a Rules,
        campaign_zones: &[PathBuf],
    ) -> Result<AuditContext<'a>> {
        if dns.zone.is_empty() && dns.nameservers.is_empty() && !campaign_zones.is_empty() {
            let dns = DnsOptions {
                zone: campaign_zones.to_vec(),
                ..dns.clone()
            };
            return AuditContext::new(&dns, rules);
        }
        AuditContext::new(dns, rules)
    }

    /// True when the run was given a DNS source (zone files or servers) rather than the
    /// system's resolvers.
    pub fn dns_given(&self) -> bool {
        !self.zone_files.is_empty() || !self.nameservers.is_empty()
    }

    /// Zone files when given (offline), otherwise live DNS.
    pub fn resolver(&self) -> Result<Resolver> {
        if self.zone_files.is_empty() {
            let config = LiveConfig {
                nameservers: self.nameservers.clone(),
                timeout: self.timeout,
                ..LiveConfig::default()
            };
            return Resolver::live(config).context("cannot set up live DNS");
        }
        let zones = ZoneSet::load_files_limited(&self.zone_files, self.max_zone_size)?;
        Ok(Resolver::offline(zones))
    }
}

/// The async runtime DNS queries run on.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Zone files and directories; a directory stands for its `*.zone` files, sorted.
pub fn expand_zone_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if !path.is_dir() {
            files.push(path.clone());
            continue;
        }
        let entries = std::fs::read_dir(path)
            .with_context(|| format!("cannot read zone directory {}", path.display()))?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| crate::path::normalize(&e.path())))
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "zone"))
            .collect();
        if found.is_empty() {
            bail!("zone directory {} holds no *.zone files", path.display());
        }
        found.sort();
        files.extend(found);
    }
    Ok(files)
}
