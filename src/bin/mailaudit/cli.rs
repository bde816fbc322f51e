//! The command line's arguments and value parsers, and their conversion into the
//! application's options.

use clap::{Args, Parser, Subcommand, ValueEnum};
use mailaudit::app::{self, CommonOptions, DnsOptions};
use mailaudit::finding::Severity;
use mailaudit::report::Format;
use mailaudit::run::Verdict;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "mailaudit",
    version,
    about = "Email deliverability and compliance auditor",
    after_help = "Exit status: 0 nothing at or above --fail-on, 1 findings at or above it, \
                  2 usage, configuration or input error."
)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by every command.
#[derive(Debug, Args)]
pub struct Common {
    /// Answer DNS from this RFC 1035 zone file, or every *.zone file of this directory,
    /// instead of the network (repeatable)
    #[arg(
        long,
        value_name = "FILE",
        global = true,
        conflicts_with = "nameserver"
    )]
    pub zone: Vec<PathBuf>,

    /// Ask this DNS server instead of the system's resolvers (repeatable; port 53 by default)
    #[arg(long, value_name = "ADDR[:PORT]", global = true, value_parser = parse_nameserver)]
    pub nameserver: Vec<SocketAddr>,

    /// Give up on a DNS query after this many seconds
    #[arg(long, value_name = "SECS", global = true, default_value = "5", value_parser = parse_timeout)]
    pub timeout: Duration,

    /// Audit at most this many targets at once
    #[arg(long, value_name = "N", global = true, default_value = "64")]
    pub concurrency: NonZeroUsize,

    /// Output format
    #[arg(long, value_enum, global = true, default_value_t = FormatArg::Human)]
    pub format: FormatArg,

    /// Write the report to FILE (atomically) instead of standard output
    #[arg(long, value_name = "FILE", global = true)]
    pub output: Option<PathBuf>,

    /// Rule overrides and ignores, layered on ./mailaudit.toml when that exists
    #[arg(long, value_name = "FILE", global = true)]
    pub rules: Option<PathBuf>,

    /// Exit with 1 when a finding is at or above this severity
    #[arg(long, value_enum, global = true, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Human,
    Json,
    Jsonl,
    /// SARIF 2.1.0, for code scanning
    Sarif,
    /// GitHub Actions workflow commands (annotations)
    Github,
}

impl From<FormatArg> for Format {
    fn from(format: FormatArg) -> Format {
        match format {
            FormatArg::Human => Format::Human,
            FormatArg::Json => Format::Json,
            FormatArg::Jsonl => Format::Jsonl,
            FormatArg::Sarif => Format::Sarif,
            FormatArg::Github => Format::Github,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

impl FailOn {
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every rule with id, severity and title; with a rule id, print its documentation
    Rules {
        /// A rule id such as spf/lookup-limit
        rule: Option<String>,
    },
    /// Audit sending domains: SPF, DKIM, DMARC, MX and, with --ip, SPF results and reverse DNS
    Domain(DomainArgs),
    /// Run SPF check_host() for one sending IP, domain and sender
    Spf(SpfArgs),
    /// Lint .eml drafts (files, or directories searched recursively); the drafts of one
    /// directory are also checked as one sequence
    Message(MessageArgs),
    /// The pre-send gate for one campaign: its domains, sending IPs, DMARC outcome, drafts and
    /// stats in one report and one exit code
    Check(CheckArgs),
    /// Score sending domains from daily statistics (CSV or JSON) against the warm-up
    /// schedule and the providers' complaint and bounce thresholds
    Sender(SenderArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    Completions {
        /// The shell to complete for
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The campaign file (paths in it are relative to its directory)
    #[arg(value_name = "CAMPAIGN.toml", default_value = "campaign.toml")]
    pub campaign: PathBuf,

    /// Drafts larger than this are not parsed but reported (message/too-large)
    #[arg(long, value_name = "SIZE", default_value = "10MB", value_parser = parse_size)]
    pub max_size: u64,

    /// The day the stats are judged on (YYYY-MM-DD): stale data and tomorrow's volume are
    /// measured from it; default: today
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub as_of: Option<mailaudit::date::Date>,
}

#[derive(Debug, Args)]
pub struct SenderArgs {
    /// Stats files: CSV with a header row (date, domain, sent, delivered, hard_bounces,
    /// soft_bounces, complaints, unsubscribes; optional ip, provider) or a JSON array of
    /// objects with the same keys
    #[arg(value_name = "STATS", required = true)]
    pub files: Vec<PathBuf>,

    /// The report's day (YYYY-MM-DD): stale data and tomorrow's volume are measured from it;
    /// default: today
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub as_of: Option<mailaudit::date::Date>,

    /// DOMAIN started its warm-up on DATE (day 1 of the schedule); repeatable
    #[arg(long, value_name = "DOMAIN=DATE", value_parser = parse_warmup_start)]
    pub warmup_start: Vec<(String, mailaudit::date::Date)>,

    /// DOMAIN is an established sender: never treat its history as a warm-up; repeatable
    #[arg(long, value_name = "DOMAIN")]
    pub established: Vec<String>,
}

#[derive(Debug, Args)]
pub struct MessageArgs {
    /// Draft files and directories of drafts (.eml, searched recursively)
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,

    /// The drafts are sequence templates: merge tags are expected, and a platform unsubscribe
    /// token counts as an https one-click link
    #[arg(long)]
    pub template: bool,

    /// Thresholds and rules for this kind of mail
    #[arg(long, value_enum, default_value_t = ProfileArg::ColdOutreach)]
    pub profile: ProfileArg,

    /// Drafts larger than this are not parsed but reported (message/too-large): bytes, or a
    /// number with KB, MB, GB (powers of 1000) or KiB, MiB, GiB
    #[arg(long, value_name = "SIZE", default_value = "10MB", value_parser = parse_size)]
    pub max_size: u64,

    /// Verify DKIM-Signature headers against keys from live DNS (the system resolver). With
    /// --zone or --nameserver they are verified from there without this flag; otherwise only
    /// the checks that need no key run
    #[arg(long)]
    pub verify_dkim: bool,

    /// The clock for DKIM x= expiry, in Unix seconds (reproducible verification of old mail)
    #[arg(long, value_name = "UNIX_SECONDS", hide = true)]
    pub dkim_now: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ProfileArg {
    /// One-to-one prospecting sequences (rules/profiles/cold-outreach.toml)
    ColdOutreach,
    /// Issues sent to a subscriber list (rules/profiles/newsletter.toml)
    Newsletter,
}

impl ProfileArg {
    pub fn name(self) -> &'static str {
        match self {
            ProfileArg::ColdOutreach => "cold-outreach",
            ProfileArg::Newsletter => "newsletter",
        }
    }
}

#[derive(Debug, Args)]
pub struct DomainArgs {
    /// Sending domains to audit
    #[arg(value_name = "DOMAIN", required_unless_present = "domains_file")]
    pub domains: Vec<String>,

    /// Read more domains from FILE, one per line (# starts a comment)
    #[arg(long, value_name = "FILE")]
    pub domains_file: Option<PathBuf>,

    /// DKIM selector to check (repeatable); without it, common selectors are probed
    #[arg(long, value_name = "SELECTOR")]
    pub selector: Vec<String>,

    /// Sending IP: check the SPF result and reverse DNS for it (repeatable)
    #[arg(long, value_name = "IP")]
    pub ip: Vec<IpAddr>,

    /// Envelope sender (MAIL FROM) whose domain SPF is checked for
    #[arg(long, value_name = "ADDR")]
    pub mail_from: Option<String>,

    /// HELO/EHLO name of the sending server
    #[arg(long, value_name = "NAME")]
    pub helo: Option<String>,
}

#[derive(Debug, Args)]
pub struct SpfArgs {
    /// Domain whose SPF policy is evaluated
    #[arg(value_name = "DOMAIN")]
    pub domain: String,

    /// Sending IP to evaluate
    #[arg(long, value_name = "IP", required = true)]
    pub ip: IpAddr,

    /// Envelope sender (MAIL FROM); postmaster@DOMAIN when not given
    #[arg(long, value_name = "ADDR")]
    pub mail_from: Option<String>,

    /// HELO/EHLO name of the sending server
    #[arg(long, value_name = "NAME")]
    pub helo: Option<String>,
}

fn parse_nameserver(text: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let bare = text
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(text);
    bare.parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| {
            format!(
                "`{text}` is not an IP address with an optional port \
                 (192.0.2.53, 192.0.2.53:5353, [2001:db8::53]:5353)"
            )
        })
}

fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let digits = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(digits);
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" | "k" => 1_000,
        "mb" | "m" => 1_000_000,
        "gb" | "g" => 1_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        _ => 0,
    };
    match number.parse::<u64>() {
        Ok(n) if n > 0 && factor > 0 => n
            .checked_mul(factor)
            .ok_or_else(|| format!("`{text}` is too large")),
        _ => Err(format!(
            "`{text}` is not a size (bytes, or a number with KB, MB, GB, KiB, MiB or GiB)"
        )),
    }
}

fn parse_date(text: &str) -> Result<mailaudit::date::Date, String> {
    mailaudit::date::Date::parse(text.trim())
        .ok_or_else(|| format!("`{text}` is not a date written YYYY-MM-DD"))
}

fn parse_warmup_start(text: &str) -> Result<(String, mailaudit::date::Date), String> {
    let Some((domain, date)) = text.split_once('=') else {
        return Err(format!(
            "`{text}` is not DOMAIN=DATE (example.com=2024-03-01)"
        ));
    };
    let domain = mailaudit::dns::normalize_name(domain.trim());
    if domain.is_empty() {
        return Err(format!("`{text}` names no domain"));
    }
    Ok((domain, parse_date(date)?))
}

fn parse_timeout(text: &str) -> Result<Duration, String> {
    match text.parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs <= 3600.0 => Ok(Duration::from_secs_f64(secs)),
        _ => Err(format!(
            "`{text}` is not a number of seconds between 0 and 3600"
        )),
    }
}

/// Findings at or above `--fail-on`.
pub const EXIT_FINDINGS: u8 = 1;
/// Usage, configuration or input error: the tool could not do its job.
pub const EXIT_TROUBLE: u8 = 2;

/// The exit status of a run with this verdict: the gate fails on `fail` and on `incomplete`
/// (the audit could not look).
pub fn exit_status(verdict: Verdict) -> u8 {
    if verdict.passes() { 0 } else { EXIT_FINDINGS }
}

impl Cli {
    /// The application's view of the arguments (`None` for `completions`, which the binary
    /// answers itself).
    pub fn options(&self) -> (CommonOptions, Option<app::Command>) {
        let common = &self.common;
        let options = CommonOptions {
            dns: DnsOptions {
                zone: common.zone.clone(),
                nameservers: common.nameserver.clone(),
                timeout: common.timeout,
                concurrency: common.concurrency,
            },
            format: common.format.into(),
            output: common.output.clone(),
            rules: common.rules.clone(),
            fail_on: common.fail_on.threshold(),
        };
        let command = match &self.command {
            Command::Completions { .. } => None,
            Command::Rules { rule } => Some(app::Command::Rules { rule: rule.clone() }),
            Command::Domain(args) => Some(app::Command::Domain(app::DomainOptions {
                domains: args.domains.clone(),
                domains_file: args.domains_file.clone(),
                selectors: args.selector.clone(),
                ips: args.ip.clone(),
                mail_from: args.mail_from.clone(),
                helo: args.helo.clone(),
            })),
            Command::Spf(args) => Some(app::Command::Spf(app::SpfOptions {
                domain: args.domain.clone(),
                ip: args.ip,
                mail_from: args.mail_from.clone(),
                helo: args.helo.clone(),
            })),
            Command::Message(args) => Some(app::Command::Message(app::MessageOptions {
                paths: args.paths.clone(),
                template: args.template,
                profile: args.profile.name().to_string(),
                max_size: args.max_size,
                verify_dkim: args.verify_dkim,
                dkim_now: args.dkim_now,
            })),
            Command::Check(args) => Some(app::Command::Check(app::CheckOptions {
                campaign: args.campaign.clone(),
                max_size: args.max_size,
                as_of: args.as_of,
            })),
            Command::Sender(args) => Some(app::Command::Sender(app::SenderOptions {
                files: args.files.clone(),
                as_of: args.as_of,
                warmup_start: args.warmup_start.clone(),
                established: args.established.clone(),
            })),
        };
        (options, command)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn fail_on_sets_the_exit_status() {
        use Severity::*;
        let rules = mailaudit::rules::Rules::builtin().unwrap();
        let cases = [
            (None, FailOn::Error, 0),
            (Some(Warning), FailOn::Error, 0),
            (Some(Error), FailOn::Error, 1),
            (Some(Warning), FailOn::Warning, 1),
            (Some(Info), FailOn::Warning, 0),
            (Some(Info), FailOn::Info, 1),
            (Some(Error), FailOn::Never, 0),
        ];
        for (worst, fail_on, status) in cases {
            let mut result =
                mailaudit::run::TargetResult::new("a.example", mailaudit::run::Kind::Domain);
            if let Some(severity) = worst {
                result.findings.push(
                    rules
                        .finding(mailaudit::spf::rules::PTR_MECHANISM, "a.example", "m")
                        .with_severity(severity),
                );
            }
            let mut gate = mailaudit::run::Gate::new(fail_on.threshold());
            gate.add(&result);
            assert_eq!(exit_status(gate.verdict()), status, "{worst:?} {fail_on:?}");
        }
        assert_eq!(exit_status(Verdict::Incomplete), EXIT_FINDINGS);
    }

    #[test]
    fn nameservers_take_an_optional_port() {
        let ok = [
            ("192.0.2.53", "192.0.2.53:53"),
            ("192.0.2.53:5353", "192.0.2.53:5353"),
            ("2001:db8::53", "[2001:db8::53]:53"),
            ("[2001:db8::53]", "[2001:db8::53]:53"),
            ("[2001:db8::53]:5353", "[2001:db8::53]:5353"),
        ];
        for (text, want) in ok {
            assert_eq!(parse_nameserver(text).unwrap().to_string(), want);
        }
        for bad in ["ns1.example.com", "192.0.2.53:", "192.0.2.53:99999", ""] {
            assert!(parse_nameserver(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes_take_a_unit() {
        assert_eq!(parse_size("10MB").unwrap(), 10_000_000);
        assert_eq!(parse_size("512").unwrap(), 512);
        assert_eq!(parse_size("2 KiB").unwrap(), 2048);
        assert_eq!(parse_size("1mib").unwrap(), 1 << 20);
        for bad in ["", "0", "-1", "ten", "5 parsecs", "99999999999999999999GB"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn timeouts_are_positive_seconds() {
        assert_eq!(parse_timeout("2.5").unwrap(), Duration::from_millis(2500));
        for bad in ["0", "-1", "NaN", "inf", "soon"] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
    }
}
