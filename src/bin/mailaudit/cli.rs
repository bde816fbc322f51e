//! The command line's arguments and value parsers, and their conversion into the
//! application's options.

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use mailaudit::app::{self, CommonOptions, DnsOptions};
use mailaudit::finding::Severity;
use mailaudit::report::Format;
use mailaudit::run::Verdict;
use std::ffi::OsString;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "mailaudit",
    version,
    about = "Email deliverability and compliance auditor",
    after_help = "Each command takes only its own options (`mailaudit COMMAND --help` lists them); \
                  they may also be written before the command (`mailaudit --format json domain \
                  example.com`).\n\n\
                  Exit status: 0 nothing at or above --fail-on, 1 findings at or above it, \
                  2 usage, configuration or input error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// The options come in groups; each command flattens the groups it uses, so an option the
// command does not read is refused (exit 2) and `--help` lists only the command's own.

/// `--format`, `--output`, `--rules`: the report's form, where it goes, and the rule
/// settings it is made with.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = FormatArg::Human)]
    pub format: FormatArg,

    /// Write the report to FILE instead of standard output (a file is replaced atomically; a
    /// FIFO or device is written as it is)
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Rule overrides and ignores, layered on ./mailaudit.toml when that exists
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
}

/// What every audit command takes: the report's options and the gate's threshold.
#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub report: ReportArgs,

    /// Exit with 1 when a finding is at or above this severity
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
}

/// Where DNS answers come from: `--zone`, `--nameserver`, `--timeout`.
#[derive(Debug, Args)]
pub struct DnsArgs {
    /// Answer DNS from this RFC 1035 zone file, or every *.zone file of this directory,
    /// instead of the network (repeatable)
    #[arg(long, value_name = "FILE", conflicts_with = "nameserver")]
    pub zone: Vec<PathBuf>,

    /// Ask this DNS server instead of the system's resolvers (repeatable; port 53 by default)
    #[arg(long, value_name = "ADDR[:PORT]", value_parser = parse_nameserver)]
    pub nameserver: Vec<SocketAddr>,

    /// Give up on a DNS query after this many seconds (more than 0, at most 3600)
    #[arg(long, value_name = "SECS", default_value = DEFAULT_TIMEOUT, value_parser = parse_timeout)]
    pub timeout: Duration,

    /// Refuse a zone file larger than this (default 64 MiB; see docs/limits.md)
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_zone_size: Option<u64>,
}

/// `--concurrency`, for the commands that audit many targets.
#[derive(Debug, Args)]
pub struct ConcurrencyArgs {
    /// Audit at most this many targets at once (1 or more)
    #[arg(long, value_name = "N", default_value = DEFAULT_CONCURRENCY, value_parser = parse_concurrency)]
    pub concurrency: NonZeroUsize,
}

/// `--timeout` when not given (seconds).
const DEFAULT_TIMEOUT: &str = "5";
/// `--concurrency` when not given.
const DEFAULT_CONCURRENCY: &str = "64";

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Human,
    Json,
    Jsonl,
    /// SARIF 2.1.0, for code scanning
    Sarif,
    /// GitHub Actions workflow commands (annotations)
    Github,
    /// One row per DMARC aggregate record, RFC 4180 (`reports` only)
    Csv,
}

impl From<FormatArg> for Format {
    fn from(format: FormatArg) -> Format {
        match format {
            FormatArg::Human => Format::Human,
            FormatArg::Json => Format::Json,
            FormatArg::Jsonl => Format::Jsonl,
            FormatArg::Sarif => Format::Sarif,
            FormatArg::Github => Format::Github,
            FormatArg::Csv => Format::Csv,
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
    /// List every rule with id, severity and title; with a rule id, print its documentation;
    /// with a family (spf), list its rules
    Rules(RulesArgs),
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
    /// Read DMARC aggregate and failure reports and SMTP TLS reports (files, directories,
    /// Maildir, mbox; bare, gzip, zip or e-mailed): who sends as each domain, whether it
    /// passes, which SPF term authorises it, and whether enforcement is safe
    Reports(ReportsArgs),
    /// Read bounces and complaints (files, directories, Maildir, mbox): per recipient the
    /// kind, hard or soft, reason and status code; write the stats `sender` reads and a
    /// suppression list
    Feedback(FeedbackArgs),
    /// Check a recipient list before a send: suppressed, invalid, duplicate and role-account
    /// addresses, disposable and misspelt domains, and, with DNS, domains that accept no mail;
    /// --clean-out writes the list without the rows to drop
    List(ListArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// A rule id such as spf/lookup-limit, or a family such as spf
    pub rule: Option<String>,

    #[command(flatten)]
    pub report: ReportArgs,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,

    /// Write the script to FILE instead of standard output (a file is replaced atomically; a
    /// FIFO or device is written as it is)
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
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

    #[command(flatten)]
    pub dns: DnsArgs,

    #[command(flatten)]
    pub concurrency: ConcurrencyArgs,

    #[command(flatten)]
    pub audit: AuditArgs,
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

    /// Sum the counts of rows of different files with the same date, domain, ip and
    /// provider (the sender's sent/delivered file and `mailaudit feedback --stats-out`)
    /// instead of refusing them as duplicates; one key twice in one file is still an error
    #[arg(long)]
    pub merge: bool,

    #[command(flatten)]
    pub audit: AuditArgs,
}

#[derive(Debug, Args)]
pub struct ReportsArgs {
    /// Report files and directories of them (searched recursively; Maildir and mbox too)
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,

    /// Attribute each source to the domain's SPF tree with the system's resolvers. With
    /// --zone or --nameserver sources are attributed from there without this flag; otherwise
    /// no DNS is asked and sources are not attributed
    #[arg(long)]
    pub attribute: bool,

    /// Refuse a file larger than this (a finding on it; default 1 GiB): bytes, or a number
    /// with KB, MB, GB or KiB, MiB, GiB
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_report_size: Option<u64>,

    /// The day reports/authorised-source-failing's window ends on (YYYY-MM-DD); default:
    /// the newest day the reports cover
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub as_of: Option<mailaudit::date::Date>,

    #[command(flatten)]
    pub dns: DnsArgs,

    #[command(flatten)]
    pub concurrency: ConcurrencyArgs,

    #[command(flatten)]
    pub audit: AuditArgs,
}

#[derive(Debug, Args)]
pub struct FeedbackArgs {
    /// Bounce and complaint messages, directories of them (searched recursively; Maildir
    /// too) and mbox files
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,

    /// Write per (date, domain) hard bounce, soft bounce and complaint counts here, in the
    /// columns `mailaudit sender` reads (sent and delivered 0)
    #[arg(long, value_name = "FILE")]
    pub stats_out: Option<PathBuf>,

    /// Merge hard bounces and complaints into this suppression list (CSV: address, reason,
    /// first_date, last_date, source); an existing one is read first and nothing is lost
    #[arg(long, value_name = "FILE")]
    pub suppress_out: Option<PathBuf>,

    /// Refuse a file larger than this (a finding on it; default 1 GiB): bytes, or a number
    /// with KB, MB, GB or KiB, MiB, GiB
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_feedback_size: Option<u64>,

    #[command(flatten)]
    pub audit: AuditArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// The recipients: CSV with a header naming an `email` or `address` column
    #[arg(value_name = "RECIPIENTS.csv")]
    pub recipients: PathBuf,

    /// Suppression lists: CSV with an address or email column (and reason, first_date,
    /// last_date, source, as `mailaudit feedback --suppress-out` writes), or one address per
    /// line
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub suppressions: Vec<PathBuf>,

    /// Write the list without the suppressed, invalid, unreadable, duplicate (the first row
    /// is kept), null-MX, no-mail and disposable rows: same header, columns and order;
    /// replaced atomically
    #[arg(long, value_name = "FILE")]
    pub clean_out: Option<PathBuf>,

    /// --clean-out also removes role accounts and typo domains
    #[arg(long)]
    pub strict: bool,

    /// Check each domain's MX with the system's resolvers. With --zone or --nameserver the
    /// domains are checked from there without this flag; otherwise no DNS is asked
    #[arg(long)]
    pub check_mx: bool,

    /// Refuse a recipients file larger than this (default 1 GiB): bytes, or a number with
    /// KB, MB, GB or KiB, MiB, GiB
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_list_size: Option<u64>,

    #[command(flatten)]
    pub dns: DnsArgs,

    #[command(flatten)]
    pub concurrency: ConcurrencyArgs,

    #[command(flatten)]
    pub audit: AuditArgs,
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

    #[command(flatten)]
    pub dns: DnsArgs,

    #[command(flatten)]
    pub concurrency: ConcurrencyArgs,

    #[command(flatten)]
    pub audit: AuditArgs,
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

    #[command(flatten)]
    pub dns: DnsArgs,

    #[command(flatten)]
    pub concurrency: ConcurrencyArgs,

    #[command(flatten)]
    pub audit: AuditArgs,
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

    #[command(flatten)]
    pub dns: DnsArgs,

    #[command(flatten)]
    pub audit: AuditArgs,
}

fn parse_nameserver(text: &str) -> Result<SocketAddr, String> {
    // The library's parser (which also refuses port 0, where no server can listen), with a
    // message that shows the accepted forms.
    mailaudit::dns::parse_nameserver(text).map_err(|_| {
        format!(
            "`{text}` is not an IP address with an optional port from 1 to 65535 \
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
    match text.trim().parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs <= 3600.0 => Ok(Duration::from_secs_f64(secs)),
        _ => Err(format!(
            "`{text}` is not a timeout: give the seconds to wait for a DNS answer, more than 0 \
             and at most 3600 (such as 2 or 0.5)"
        )),
    }
}

fn parse_concurrency(text: &str) -> Result<NonZeroUsize, String> {
    text.trim().parse::<NonZeroUsize>().map_err(|_| {
        format!(
            "`{text}` is not a concurrency: give how many targets to audit at once, a whole \
                 number of 1 or more"
        )
    })
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
    /// The report options of the command (`completions` has none but `--output`).
    fn report(&self) -> Option<&ReportArgs> {
        match &self.command {
            Command::Rules(args) => Some(&args.report),
            Command::Completions(_) => None,
            _ => self.audit().map(|audit| &audit.report),
        }
    }

    /// The options of an audit command (not `rules` or `completions`).
    fn audit(&self) -> Option<&AuditArgs> {
        match &self.command {
            Command::Domain(args) => Some(&args.audit),
            Command::Spf(args) => Some(&args.audit),
            Command::Message(args) => Some(&args.audit),
            Command::Check(args) => Some(&args.audit),
            Command::Sender(args) => Some(&args.audit),
            Command::Reports(args) => Some(&args.audit),
            Command::Feedback(args) => Some(&args.audit),
            Command::List(args) => Some(&args.audit),
            Command::Rules(_) | Command::Completions(_) => None,
        }
    }

    /// `--fail-on` of an audit command; `rules` and `completions` report no findings.
    pub fn fail_on(&self) -> FailOn {
        self.audit().map_or(FailOn::Error, |audit| audit.fail_on)
    }

    /// `--format`: human for `completions`, which writes a script.
    pub fn format(&self) -> FormatArg {
        self.report()
            .map_or(FormatArg::Human, |report| report.format)
    }

    /// `--output`.
    pub fn output(&self) -> Option<&Path> {
        match &self.command {
            Command::Completions(args) => args.output.as_deref(),
            _ => self.report().and_then(|report| report.output.as_deref()),
        }
    }

    /// The DNS options of the command; defaults for the commands that ask no DNS.
    fn dns(&self) -> DnsOptions {
        let (dns, concurrency) = match &self.command {
            Command::Domain(args) => (Some(&args.dns), Some(&args.concurrency)),
            Command::Spf(args) => (Some(&args.dns), None),
            Command::Message(args) => (Some(&args.dns), Some(&args.concurrency)),
            Command::Check(args) => (Some(&args.dns), Some(&args.concurrency)),
            Command::Reports(args) => (Some(&args.dns), Some(&args.concurrency)),
            Command::List(args) => (Some(&args.dns), Some(&args.concurrency)),
            Command::Sender(_)
            | Command::Feedback(_)
            | Command::Rules(_)
            | Command::Completions(_) => (None, None),
        };
        DnsOptions {
            zone: dns.map(|d| d.zone.clone()).unwrap_or_default(),
            nameservers: dns.map(|d| d.nameserver.clone()).unwrap_or_default(),
            timeout: dns.map_or_else(
                || parse_timeout(DEFAULT_TIMEOUT).unwrap_or(Duration::from_secs(5)),
                |d| d.timeout,
            ),
            max_zone_size: dns
                .and_then(|d| d.max_zone_size)
                .unwrap_or(mailaudit::input::InputKind::ZoneFile.default_limit()),
            concurrency: concurrency.map_or_else(
                || parse_concurrency(DEFAULT_CONCURRENCY).unwrap_or(NonZeroUsize::MIN),
                |c| c.concurrency,
            ),
        }
    }

    /// The application's view of the arguments (`None` for `completions`, which the binary
    /// answers itself).
    pub fn options(&self) -> (CommonOptions, Option<app::Command>) {
        let options = CommonOptions {
            dns: self.dns(),
            format: self.format().into(),
            output: self.output().map(Path::to_path_buf),
            rules: self.report().and_then(|report| report.rules.clone()),
            fail_on: self.fail_on().threshold(),
        };
        let command = match &self.command {
            Command::Completions(_) => None,
            Command::Rules(args) => Some(app::Command::Rules {
                rule: args.rule.clone(),
            }),
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
                merge: args.merge,
            })),
            Command::Reports(args) => Some(app::Command::Reports(app::ReportsOptions {
                paths: args.paths.clone(),
                attribute: args.attribute,
                max_size: args
                    .max_report_size
                    .unwrap_or(mailaudit::input::InputKind::Report.default_limit()),
                as_of: args.as_of,
            })),
            Command::Feedback(args) => Some(app::Command::Feedback(app::FeedbackOptions {
                paths: args.paths.clone(),
                max_size: args
                    .max_feedback_size
                    .unwrap_or(mailaudit::input::InputKind::Feedback.default_limit()),
                stats_out: args.stats_out.clone(),
                suppress_out: args.suppress_out.clone(),
            })),
            Command::List(args) => Some(app::Command::List(app::ListOptions {
                recipients: args.recipients.clone(),
                suppressions: args.suppressions.clone(),
                clean_out: args.clean_out.clone(),
                strict: args.strict,
                check_mx: args.check_mx,
                max_size: args
                    .max_list_size
                    .unwrap_or(mailaudit::input::InputKind::Recipients.default_limit()),
            })),
        };
        (options, command)
    }

    /// Parse the process's arguments: options written before the command are taken as the
    /// command's ([`hoist_leading_options`]), and an option the command does not take is a
    /// usage error that says which commands take it.
    pub fn parse_args() -> Result<Cli, clap::Error> {
        Cli::parse_from_args(std::env::args_os().collect())
    }

    fn parse_from_args(args: Vec<OsString>) -> Result<Cli, clap::Error> {
        let mut definition = Cli::command();
        definition.build();
        let args = hoist_leading_options(args, &definition);
        Cli::try_parse_from(&args).map_err(|err| refine_error(err, &args, &mut definition))
    }
}

/// The long options of each command, with whether each takes a value.
fn command_options(definition: &clap::Command) -> Vec<(&str, Vec<(&str, bool)>)> {
    definition
        .get_subcommands()
        .map(|sub| {
            let options = sub
                .get_arguments()
                .filter_map(|arg| Some((arg.get_long()?, arg.get_action().takes_values())))
                .collect();
            (sub.get_name(), options)
        })
        .collect()
}

/// `mailaudit --format json domain x` is `mailaudit domain --format json x`: the options
/// before the command move right after its name, where the command's own parser reads them
/// (or refuses one it does not take). Anything else before the command (`--help`, an option
/// no command has, a value that is not a command) leaves the arguments as they are, for
/// clap to answer.
pub fn hoist_leading_options(args: Vec<OsString>, definition: &clap::Command) -> Vec<OsString> {
    let commands = command_options(definition);
    let takes_value = |name: &str| {
        commands
            .iter()
            .flat_map(|(_, options)| options)
            .find(|(long, _)| *long == name)
            .map(|(_, value)| *value)
    };
    let mut i = 1;
    while let Some(arg) = args.get(i).and_then(|a| a.to_str()) {
        if commands.iter().any(|(name, _)| *name == arg) {
            if i == 1 {
                return args;
            }
            let mut hoisted = Vec::with_capacity(args.len());
            hoisted.push(args[0].clone());
            hoisted.push(args[i].clone());
            hoisted.extend_from_slice(&args[1..i]);
            hoisted.extend_from_slice(&args[i + 1..]);
            return hoisted;
        }
        let Some(option) = arg.strip_prefix("--").filter(|o| !o.is_empty()) else {
            return args;
        };
        let (name, inline_value) = match option.split_once('=') {
            Some((name, _)) => (name, true),
            None => (option, false),
        };
        match takes_value(name) {
            Some(true) if !inline_value => i += 2,
            Some(_) => i += 1,
            None => return args,
        }
    }
    args
}

/// A usage error about an option that other commands take says so: `mailaudit sender`
/// refuses `--zone`, which domain, spf, message and check take.
fn refine_error(
    err: clap::Error,
    args: &[OsString],
    definition: &mut clap::Command,
) -> clap::Error {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if err.kind() != ErrorKind::UnknownArgument {
        return err;
    }
    let Some(ContextValue::String(given)) = err.get(ContextKind::InvalidArg) else {
        return err;
    };
    let Some(name) = given
        .strip_prefix("--")
        .map(|g| g.split('=').next().unwrap_or(g))
    else {
        return err;
    };
    let Some(command) = args.get(1).and_then(|a| a.to_str()) else {
        return err;
    };
    let takers: Vec<&str> = command_options(definition)
        .into_iter()
        .filter(|(_, options)| options.iter().any(|(long, _)| *long == name))
        .map(|(sub, _)| sub)
        .collect();
    if takers.is_empty() || takers.contains(&command) {
        return err;
    }
    let takers = match takers.split_last() {
        Some((last, [])) => format!("only `{last}` takes it"),
        Some((last, rest)) => format!("`{}` and `{last}` take it", rest.join("`, `")),
        None => return err,
    };
    let message = format!(
        "`mailaudit {command}` has no option `--{name}` ({takers}); \
         `mailaudit {command} --help` lists its options"
    );
    match definition.find_subcommand_mut(command) {
        Some(sub) => sub.error(ErrorKind::UnknownArgument, message),
        None => err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        for bad in [
            "ns1.example.com",
            "192.0.2.53:",
            "192.0.2.53:99999",
            "192.0.2.53:0",
            "",
        ] {
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

    fn hoisted(args: &[&str]) -> Vec<String> {
        let mut definition = Cli::command();
        definition.build();
        let args = std::iter::once("mailaudit")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect();
        hoist_leading_options(args, &definition)
            .into_iter()
            .skip(1)
            .map(|a| a.into_string().unwrap())
            .collect()
    }

    #[test]
    fn options_before_the_command_move_after_it() {
        let cases: [(&[&str], &[&str]); 6] = [
            (
                &["--format", "json", "domain", "x"],
                &["domain", "--format", "json", "x"],
            ),
            // A value that spells a command is still the option's value.
            (
                &["--output", "check", "--format=json", "check", "c.toml"],
                &["check", "--output", "check", "--format=json", "c.toml"],
            ),
            (
                &["domain", "--format", "json"],
                &["domain", "--format", "json"],
            ),
            // Help, unknown options and stray words are left for clap to answer.
            (
                &["--format", "json", "--help"],
                &["--format", "json", "--help"],
            ),
            (&["--bogus", "domain", "x"], &["--bogus", "domain", "x"]),
            (&["x", "domain"], &["x", "domain"]),
        ];
        for (args, want) in cases {
            assert_eq!(hoisted(args), want, "{args:?}");
        }
    }

    #[test]
    fn an_option_takes_a_value_in_every_command_or_in_none() {
        let mut definition = Cli::command();
        definition.build();
        let mut seen: Vec<(&str, bool, &str)> = Vec::new();
        for (command, options) in command_options(&definition) {
            for (long, value) in options {
                if let Some((_, other, first)) = seen.iter().find(|(l, _, _)| *l == long) {
                    assert_eq!(*other, value, "--{long}: {first} and {command} differ");
                } else {
                    seen.push((long, value, command));
                }
            }
        }
    }

    #[test]
    fn an_option_of_another_command_is_refused_with_its_commands() {
        let parse = |args: &[&str]| {
            let args = std::iter::once("mailaudit")
                .chain(args.iter().copied())
                .map(OsString::from)
                .collect();
            Cli::parse_from_args(args)
        };
        let err = parse(&["completions", "bash", "--format", "json"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.to_string()
                .contains("`mailaudit completions` has no option `--format`"),
            "{err}"
        );
        let err = parse(&["--fail-on=info", "rules"]).unwrap_err();
        assert!(
            err.to_string()
                .contains("`mailaudit rules` has no option `--fail-on`"),
            "{err}"
        );
        let cli = parse(&["--fail-on", "info", "sender", "s.csv"]).unwrap();
        assert_eq!(cli.fail_on(), FailOn::Info);
        let cli = parse(&["completions", "zsh", "--output", "f"]).unwrap();
        assert_eq!(cli.output(), Some(Path::new("f")));
    }

    #[test]
    fn concurrency_is_one_or_more() {
        assert_eq!(parse_concurrency("8").unwrap().get(), 8);
        for bad in ["0", "-1", "", "many"] {
            let err = parse_concurrency(bad).unwrap_err();
            assert!(err.contains("1 or more"), "{err}");
        }
    }

    #[test]
    fn timeouts_are_positive_seconds() {
        assert_eq!(parse_timeout("2.5").unwrap(), Duration::from_millis(2500));
        for bad in ["0", "-1", "NaN", "inf", "soon", "3601"] {
            let err = parse_timeout(bad).unwrap_err();
            assert!(err.contains("more than 0 and at most 3600"), "{err}");
        }
    }
}
