//! The campaign file (`campaign.toml`) read by `mailaudit check`: what one planned send is
//! made of. Parsing checks its shape, the values (addresses, IPs, selector, profile) and that
//! the files it names exist; every error names the file, the line and the key.
//!
//! ```toml
//! name = "Spring outreach"                      # optional, shown in the report
//! from = "Dana Reyes <dana@acme-mail.example>"  # the From: address (a name is allowed)
//! envelope_from = "bounces@acme-mail.example"   # MAIL FROM (the bounce address)
//! sending_ips = ["203.0.113.7"]                 # the IPs the campaign goes out from
//! dkim_selector = "google"                      # signs with google._domainkey.<dkim_domain>
//! dkim_domain = "acme-mail.example"             # optional: the From domain by default
//! drafts = "drafts"                             # a directory, a file, or a list of them
//! stats = ["stats.csv", "feedback-stats.csv"]   # optional: daily sending statistics, a file
//!                                               #   or a list, summed per key as with
//!                                               #   `mailaudit sender --merge`
//! reports = "dmarc-reports"                     # optional: DMARC reports received (dirs, files)
//! recipients = "recipients.csv"                 # optional: the list this send goes to
//! suppressions = ["suppressed.csv"]             # optional: lists `recipients` must not hold
//! profile = "cold-outreach"                     # optional: cold-outreach (default), newsletter
//! templates = false                             # optional: the drafts are sequence templates
//! zones = ["../zones"]                          # optional: answer DNS from these zone files
//!
//! [rules."body/word-count"]                     # optional: as in mailaudit.toml
//! thresholds = { max = 140 }
//!
//! [[ignore]]                                    # optional: as in mailaudit.toml
//! rule = "spf/ptr-mechanism"
//! target = "news.acme-mail.example"
//! reason = "the CRM's include needs ptr until its migration"
//! ```
//!
//! Paths are relative to the directory of the campaign file.
//!
//! `stats` names one file or several: the sender's own sent/delivered figures and the
//! bounce and complaint counts of `mailaudit feedback --stats-out` are summed per (date,
//! domain, ip, provider), so the sender is scored from both. `recipients` is checked as
//! `mailaudit list` checks it, against `suppressions` (files as `mailaudit list
//! --suppressions` reads them), and with the campaign's DNS: a suppressed recipient is
//! `list/suppressed`, an error, and fails the check.

use crate::config::{Config, ConfigError};
use crate::dns::{is_valid_query_name, normalize_name};
use crate::input::{self, InputError, InputKind};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Every top-level key of a campaign file, in the order the documentation gives them.
pub const KEYS: &[&str] = &[
    "name",
    "from",
    "envelope_from",
    "sending_ips",
    "dkim_selector",
    "dkim_domain",
    "drafts",
    "stats",
    "reports",
    "recipients",
    "suppressions",
    "warmup_start",
    "profile",
    "templates",
    "zones",
    "rules",
    "ignore",
];

/// The profile a campaign without `profile` is linted with.
pub const DEFAULT_PROFILE: &str = "cold-outreach";

#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    /// Not a regular file, over the limit, or unreadable ([`crate::input`]).
    #[error(transparent)]
    Read(#[from] InputError),
    #[error("{file}:{message}")]
    Parse { file: String, message: String },
    #[error("{file}:{line}: unknown key `{key}` in the campaign file (known: {known})")]
    UnknownKey {
        file: String,
        line: usize,
        key: String,
        known: String,
    },
    #[error("{file}: the campaign file needs `{key}` ({what})")]
    Missing {
        file: String,
        key: &'static str,
        what: &'static str,
    },
    #[error("{file}:{line}: `{key}`: {message}")]
    Invalid {
        file: String,
        line: usize,
        key: &'static str,
        message: String,
    },
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// The 1-based line of each key of the campaign file that names something a finding can be
/// about, so that findings without a location of their own can point there.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyLines {
    pub from: u32,
    pub envelope_from: u32,
    /// One line per sending IP (its element of the `sending_ips` array).
    pub sending_ips: Vec<u32>,
    pub dkim_selector: u32,
    pub dkim_domain: Option<u32>,
    pub drafts: Option<u32>,
    pub stats: Option<u32>,
    pub reports: Option<u32>,
    pub recipients: Option<u32>,
}

/// One campaign, checked and with its paths resolved.
#[derive(Clone, Debug)]
pub struct Campaign {
    /// The campaign file, as given (relative to the working directory).
    pub path: PathBuf,
    /// `path` for reports and findings.
    pub source: String,
    pub name: Option<String>,
    /// The From address (`name@domain`, without a display name).
    pub from: String,
    pub from_domain: String,
    /// MAIL FROM.
    pub envelope_from: String,
    pub envelope_domain: String,
    pub sending_ips: Vec<IpAddr>,
    pub dkim_selector: String,
    /// `dkim_domain` when given.
    pub dkim_domain_given: Option<String>,
    /// Draft files and directories.
    pub drafts: Vec<PathBuf>,
    /// Statistics files, summed per key ([`crate::sender::read_files_merged`]); empty for
    /// none.
    pub stats: Vec<PathBuf>,
    /// The recipient list of the send, checked as `mailaudit list` checks it.
    pub recipients: Option<PathBuf>,
    /// Suppression lists the recipients are checked against.
    pub suppressions: Vec<PathBuf>,
    /// Receivers' reports (files and directories) read with `mailaudit reports`: a
    /// legitimate source of the From domain failing DMARC in them fails the check.
    pub reports: Vec<PathBuf>,
    /// The From domain started its warm-up on this day (day 1 of the schedule), as
    /// `mailaudit sender --warmup-start` says it.
    pub warmup_start: Option<crate::date::Date>,
    pub profile: String,
    pub templates: bool,
    /// Zone files and directories for offline runs.
    pub zones: Vec<PathBuf>,
    /// The file's `[rules."ID"]` and `[[ignore]]` sections (source: the campaign file).
    pub config: Config,
    pub lines: KeyLines,
}

impl Campaign {
    /// The domain whose key signs the campaign's mail: `dkim_domain`, or the From domain.
    pub fn dkim_domain(&self) -> &str {
        self.dkim_domain_given
            .as_deref()
            .unwrap_or(&self.from_domain)
    }

    /// The DNS name of the campaign's DKIM key.
    pub fn dkim_key_name(&self) -> String {
        format!("{}._domainkey.{}", self.dkim_selector, self.dkim_domain())
    }

    /// The domains the campaign's mail involves, each once, in this order: From, envelope,
    /// DKIM signing domain.
    pub fn domains(&self) -> Vec<String> {
        let mut domains: Vec<String> = Vec::new();
        for domain in [
            self.from_domain.as_str(),
            self.envelope_domain.as_str(),
            self.dkim_domain(),
        ] {
            if !domains.iter().any(|d| d == domain) {
                domains.push(domain.to_string());
            }
        }
        domains
    }

    /// Read, parse and check a campaign file.
    pub fn load(path: &Path) -> Result<Campaign, CampaignError> {
        let limit = InputKind::CampaignFile.default_limit();
        let text = input::read_to_string(path, InputKind::CampaignFile, limit)?;
        Campaign::parse(&text, path, true)
    }

    /// Parse a campaign file's text; `path` names it and anchors its relative paths. With
    /// `check_files`, the files it names must exist (drafts, stats, zones).
    pub fn parse(text: &str, path: &Path, check_files: bool) -> Result<Campaign, CampaignError> {
        let file = path.display().to_string();
        let line_of = |offset: usize| crate::text::line_of(text, offset);
        let parse_error = |e: toml::de::Error| CampaignError::Parse {
            file: file.clone(),
            message: crate::config::toml_error(&e, text, &file),
        };

        // Unknown keys first, so that a misspelt key is named as such rather than reported
        // as a missing one.
        let keys: BTreeMap<Spanned<String>, toml::Value> =
            toml::from_str(text).map_err(parse_error)?;
        for key in keys.keys() {
            if !KEYS.contains(&key.get_ref().as_str()) {
                return Err(CampaignError::UnknownKey {
                    file,
                    line: line_of(key.span().start),
                    key: key.get_ref().clone(),
                    known: KEYS.join(", "),
                });
            }
        }
        let raw: RawCampaign = toml::from_str(text).map_err(parse_error)?;
        let config = Config::parse_sections(text, &file)?;
        let base = match path.parent() {
            Some(dir) => dir.to_path_buf(),
            None => PathBuf::new(),
        };
        let line = |span: std::ops::Range<usize>| u32::try_from(line_of(span.start)).unwrap_or(0);
        let invalid = |at: std::ops::Range<usize>, key: &'static str, message: String| {
            CampaignError::Invalid {
                file: file.clone(),
                line: line_of(at.start),
                key,
                message,
            }
        };
        let required = |value: Option<Spanned<String>>, key: &'static str, what: &'static str| {
            value.ok_or(CampaignError::Missing {
                file: file.clone(),
                key,
                what,
            })
        };

        let from_raw = required(raw.from, "from", "the From: address")?;
        let (from, from_domain) =
            address(from_raw.get_ref()).map_err(|why| invalid(from_raw.span(), "from", why))?;
        let envelope_raw = required(
            raw.envelope_from,
            "envelope_from",
            "the envelope sender, MAIL FROM",
        )?;
        let (envelope_from, envelope_domain) = address(envelope_raw.get_ref())
            .map_err(|why| invalid(envelope_raw.span(), "envelope_from", why))?;

        let Some(ips_raw) = raw.sending_ips else {
            return Err(CampaignError::Missing {
                file,
                key: "sending_ips",
                what: "the IP addresses the campaign is sent from",
            });
        };
        let ips_span = ips_raw.span();
        let mut sending_ips = Vec::new();
        let mut ip_lines = Vec::new();
        for ip in ips_raw.into_inner() {
            let parsed: IpAddr = ip.get_ref().trim().parse().map_err(|_| {
                invalid(
                    ip.span(),
                    "sending_ips",
                    format!("`{}` is not an IP address", ip.get_ref()),
                )
            })?;
            if sending_ips.contains(&parsed) {
                return Err(invalid(
                    ip.span(),
                    "sending_ips",
                    format!("{parsed} is listed twice"),
                ));
            }
            sending_ips.push(parsed);
            ip_lines.push(line(ip.span()));
        }
        if sending_ips.is_empty() {
            return Err(invalid(
                ips_span,
                "sending_ips",
                "the list is empty; name the IPs the campaign is sent from".into(),
            ));
        }

        let selector_raw = required(raw.dkim_selector, "dkim_selector", "the DKIM selector")?;
        let dkim_selector = normalize_name(selector_raw.get_ref().trim());
        let dkim_domain_given = match &raw.dkim_domain {
            Some(domain) => Some(
                domain_name(domain.get_ref())
                    .map_err(|why| invalid(domain.span(), "dkim_domain", why))?,
            ),
            None => None,
        };
        let key_name = format!(
            "{dkim_selector}._domainkey.{}",
            dkim_domain_given.as_deref().unwrap_or(&from_domain)
        );
        if dkim_selector.is_empty()
            || dkim_selector.contains(['/', '@', ' ', ':'])
            || !is_valid_query_name(&key_name)
        {
            return Err(invalid(
                selector_raw.span(),
                "dkim_selector",
                format!(
                    "`{}` is not a DKIM selector (a DNS label, such as google or s1)",
                    selector_raw.get_ref()
                ),
            ));
        }

        let profile = match &raw.profile {
            Some(profile) => {
                let name = profile.get_ref().trim();
                if !crate::rules::PROFILES.iter().any(|(n, _, _)| *n == name) {
                    let known: Vec<&str> = crate::rules::PROFILES.iter().map(|p| p.0).collect();
                    return Err(invalid(
                        profile.span(),
                        "profile",
                        format!("unknown profile `{name}` (known: {})", known.join(", ")),
                    ));
                }
                name.to_string()
            }
            None => DEFAULT_PROFILE.to_string(),
        };

        let mut drafts = Vec::new();
        if let Some(list) = &raw.drafts {
            for item in list.get_ref().items() {
                let path = resolve(&base, item);
                if check_files {
                    check_draft_path(&path).map_err(|why| invalid(list.span(), "drafts", why))?;
                }
                drafts.push(path);
            }
            if drafts.is_empty() {
                return Err(invalid(
                    list.span(),
                    "drafts",
                    "the list is empty; name a directory of .eml drafts".into(),
                ));
            }
        }
        // A key that names one path or a list of them, each checked when `check_files`.
        let paths = |list: &Option<Spanned<OneOrMany>>,
                     key: &'static str,
                     check: fn(&Path) -> Result<(), String>|
         -> Result<Vec<PathBuf>, CampaignError> {
            let Some(list) = list else {
                return Ok(Vec::new());
            };
            let mut out = Vec::new();
            for item in list.get_ref().items() {
                let path = resolve(&base, item);
                if check_files {
                    check(&path).map_err(|why| invalid(list.span(), key, why))?;
                }
                out.push(path);
            }
            Ok(out)
        };
        let stats = paths(&raw.stats, "stats", check_stats_path)?;
        let recipients = match &raw.recipients {
            Some(file) => {
                let path = resolve(&base, file.get_ref());
                if check_files {
                    input::check(&path, InputKind::Recipients)
                        .map_err(|e| invalid(file.span(), "recipients", why(&path, e)))?;
                }
                Some(path)
            }
            None => None,
        };
        let suppressions = paths(&raw.suppressions, "suppressions", |path| {
            input::check(path, InputKind::SuppressionList).map_err(|e| why(path, e))
        })?;
        let reports = paths(&raw.reports, "reports", check_report_path)?;
        let warmup_start = match &raw.warmup_start {
            Some(day) => Some(
                crate::date::Date::parse(day.get_ref().trim()).ok_or_else(|| {
                    invalid(
                        day.span(),
                        "warmup_start",
                        format!(
                            "`{}` is not a calendar day written YYYY-MM-DD",
                            day.get_ref().escape_debug()
                        ),
                    )
                })?,
            ),
            None => None,
        };
        let mut zones = Vec::new();
        if let Some(list) = &raw.zones {
            for item in list.get_ref() {
                let path = resolve(&base, item.get_ref());
                if check_files {
                    check_zone_path(&path).map_err(|why| invalid(item.span(), "zones", why))?;
                }
                zones.push(path);
            }
        }

        Ok(Campaign {
            path: path.to_path_buf(),
            source: file,
            name: raw.name.map(Spanned::into_inner),
            from,
            from_domain,
            envelope_from,
            envelope_domain,
            sending_ips,
            dkim_selector,
            dkim_domain_given,
            drafts,
            stats,
            recipients,
            suppressions,
            reports,
            warmup_start,
            profile,
            templates: raw.templates.unwrap_or(false),
            zones,
            config,
            lines: KeyLines {
                from: line(from_raw.span()),
                envelope_from: line(envelope_raw.span()),
                sending_ips: ip_lines,
                dkim_selector: line(selector_raw.span()),
                dkim_domain: raw.dkim_domain.as_ref().map(|d| line(d.span())),
                drafts: raw.drafts.as_ref().map(|d| line(d.span())),
                stats: raw.stats.as_ref().map(|s| line(s.span())),
                reports: raw.reports.as_ref().map(|r| line(r.span())),
                recipients: raw.recipients.as_ref().map(|r| line(r.span())),
            },
        })
    }
}

/// The keys read by type; `rules` and `ignore` are read by [`Config::parse_sections`].
#[derive(serde::Deserialize)]
struct RawCampaign {
    name: Option<Spanned<String>>,
    from: Option<Spanned<String>>,
    envelope_from: Option<Spanned<String>>,
    sending_ips: Option<Spanned<Vec<Spanned<String>>>>,
    dkim_selector: Option<Spanned<String>>,
    dkim_domain: Option<Spanned<String>>,
    drafts: Option<Spanned<OneOrMany>>,
    stats: Option<Spanned<OneOrMany>>,
    reports: Option<Spanned<OneOrMany>>,
    recipients: Option<Spanned<String>>,
    suppressions: Option<Spanned<OneOrMany>>,
    warmup_start: Option<Spanned<String>>,
    profile: Option<Spanned<String>>,
    templates: Option<bool>,
    zones: Option<Spanned<Vec<Spanned<String>>>>,
}

/// `drafts = "dir"` or `drafts = ["a", "b"]`.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn items(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(one) => vec![one.as_str()],
            OneOrMany::Many(many) => many.iter().map(String::as_str).collect(),
        }
    }
}

/// `name@domain` from `Name <name@domain>` or a bare address: the address and its domain
/// (lower-case, without a trailing dot).
pub fn address(text: &str) -> Result<(String, String), String> {
    let text = text.trim();
    let bare = match (text.rfind('<'), text.rfind('>')) {
        (Some(open), Some(close)) if open < close && text[close + 1..].trim().is_empty() => {
            &text[open + 1..close]
        }
        (None, None) => text,
        _ => {
            return Err(format!(
                "`{text}` is not an address such as name@example.com"
            ));
        }
    };
    let bare = bare.trim();
    let Some((local, domain)) = bare.rsplit_once('@') else {
        return Err(format!(
            "`{bare}` is not an address such as name@example.com (no @)"
        ));
    };
    if local.is_empty() || local.contains(char::is_whitespace) {
        return Err(format!(
            "`{bare}` is not an address such as name@example.com"
        ));
    }
    let domain = domain_name(domain)?;
    Ok((format!("{local}@{domain}"), domain))
}

/// A domain name that DNS can be asked about: lower-case, without a trailing dot.
fn domain_name(text: &str) -> Result<String, String> {
    let domain = normalize_name(text.trim());
    if !is_valid_query_name(&domain)
        || !domain.contains('.')
        || domain.contains(['/', '@', ' ', ':'])
    {
        return Err(format!("`{}` is not a domain name", text.trim()));
    }
    Ok(domain)
}

/// `path` relative to `base` (the campaign file's directory), with `.` and `dir/..` removed
/// so reports show `fixtures/zones`, not `fixtures/campaign/../zones`. An absolute path
/// stays as it is.
pub fn resolve(base: &Path, path: &str) -> PathBuf {
    crate::path::clean(&base.join(path))
}

/// A drafts path must exist; a directory must hold `.eml` drafts, anything else must be a
/// regular file (a FIFO would block the run).
fn check_draft_path(path: &Path) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {}", path.display(), io(&e)))?;
    if meta.is_dir() {
        if !crate::message::run::has_drafts(path) {
            return Err(format!("no .eml drafts under {}", path.display()));
        }
        return Ok(());
    }
    input::check(path, InputKind::Draft).map_err(|e| why(path, e))
}

/// The stats file must be a regular file that can be opened. Its rows are read by the
/// sender scoring.
fn check_stats_path(path: &Path) -> Result<(), String> {
    input::check(path, InputKind::StatsFile).map_err(|e| why(path, e))
}

/// A reports path must be a directory (read recursively) or a regular file; what the files
/// hold is judged when they are read.
fn check_report_path(path: &Path) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {}", path.display(), io(&e)))?;
    if meta.is_dir() {
        return Ok(());
    }
    input::check(path, InputKind::Report).map_err(|e| why(path, e))
}

/// A zone path must be a directory (of `*.zone` files) or a regular file.
fn check_zone_path(path: &Path) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {}", path.display(), io(&e)))?;
    if meta.is_dir() {
        return Ok(());
    }
    input::check(path, InputKind::ZoneFile).map_err(|e| why(path, e))
}

/// A file the campaign names that cannot be read: a missing file as `path: reason`, the
/// rest (a FIFO, a device) naming its kind.
fn why(path: &Path, error: InputError) -> String {
    match error {
        InputError::Open { error, .. } => format!("{}: {}", path.display(), io(&error)),
        other => other.to_string(),
    }
}

fn io(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_take_a_display_name() {
        assert_eq!(
            address("Dana Reyes <dana@Acme-Mail.Example.>").unwrap(),
            ("dana@acme-mail.example".into(), "acme-mail.example".into())
        );
        assert_eq!(address("b@x.example").unwrap().1, "x.example");
        for bad in [
            "",
            "dana",
            "@x.example",
            "a@",
            "a@localhost",
            "<a@x.example",
            "a b@x.example",
        ] {
            assert!(address(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn paths_resolve_against_the_campaign_directory() {
        let base = Path::new("fixtures/campaign");
        assert_eq!(resolve(base, "../zones"), PathBuf::from("fixtures/zones"));
        assert_eq!(
            resolve(base, "./drafts"),
            PathBuf::from("fixtures/campaign/drafts")
        );
        assert_eq!(resolve(Path::new(""), "drafts"), PathBuf::from("drafts"));
        assert_eq!(resolve(Path::new(""), "../x"), PathBuf::from("../x"));
        assert_eq!(resolve(Path::new("a"), ".."), PathBuf::from("."));
        assert_eq!(resolve(base, "/etc/zones"), PathBuf::from("/etc/zones"));
    }
}
