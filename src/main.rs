//! The `mailaudit` command line: parse arguments, call the library, render the report and
//! turn the outcome into an exit code. Every audit command goes through the same path
//! ([`audit`]): options -> [`AuditContext`], results -> [`ResultSink`] (user levels,
//! ignores, rendering, `--output`), worst severity -> exit code.

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use mailaudit::campaign::Campaign;
use mailaudit::config::Config;
use mailaudit::dns::{LiveConfig, Resolver, ZoneSet};
use mailaudit::domain::{DomainRequest, audit_domains};
use mailaudit::finding::Severity;
use mailaudit::report::{self, Format, Output, ResultSink, SarifContext};
use mailaudit::rules::Rules;
use mailaudit::run::{Kind, Mode, Report, TargetResult};
use mailaudit::spf::check_host::{CheckHostFacts, CheckHostInput, CheckHostOptions, check_host};
use std::io::{self, IsTerminal};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// Findings at or above `--fail-on`.
const EXIT_FINDINGS: u8 = 1;
/// Usage, configuration or input error: the tool could not do its job.
const EXIT_TROUBLE: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "mailaudit",
    version,
    about = "Email deliverability and compliance auditor",
    after_help = "Exit status: 0 nothing at or above --fail-on, 1 findings at or above it, \
                  2 usage, configuration or input error."
)]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

/// Options shared by every command.
#[derive(Debug, Args)]
struct Common {
    /// Answer DNS from this RFC 1035 zone file, or every *.zone file of this directory,
    /// instead of the network (repeatable)
    #[arg(
        long,
        value_name = "FILE",
        global = true,
        conflicts_with = "nameserver"
    )]
    zone: Vec<PathBuf>,

    /// Ask this DNS server instead of the system's resolvers (repeatable; port 53 by default)
    #[arg(long, value_name = "ADDR[:PORT]", global = true, value_parser = parse_nameserver)]
    nameserver: Vec<SocketAddr>,

    /// Give up on a DNS query after this many seconds
    #[arg(long, value_name = "SECS", global = true, default_value = "5", value_parser = parse_timeout)]
    timeout: Duration,

    /// Audit at most this many targets at once
    #[arg(long, value_name = "N", global = true, default_value = "64")]
    concurrency: NonZeroUsize,

    /// Output format
    #[arg(long, value_enum, global = true, default_value_t = FormatArg::Human)]
    format: FormatArg,

    /// Write the report to FILE (atomically) instead of standard output
    #[arg(long, value_name = "FILE", global = true)]
    output: Option<PathBuf>,

    /// Rule overrides and ignores, layered on ./mailaudit.toml when that exists
    #[arg(long, value_name = "FILE", global = true)]
    rules: Option<PathBuf>,

    /// Exit with 1 when a finding is at or above this severity
    #[arg(long, value_enum, global = true, default_value_t = FailOn::Error)]
    fail_on: FailOn,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum FormatArg {
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
enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

impl FailOn {
    fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
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
struct CheckArgs {
    /// The campaign file (paths in it are relative to its directory)
    #[arg(value_name = "CAMPAIGN.toml", default_value = "campaign.toml")]
    campaign: PathBuf,

    /// Drafts larger than this are not parsed but reported (message/too-large)
    #[arg(long, value_name = "SIZE", default_value = "10MB", value_parser = parse_size)]
    max_size: u64,
}

#[derive(Debug, Args)]
struct SenderArgs {
    /// Stats files: CSV with a header row (date, domain, sent, delivered, hard_bounces,
    /// soft_bounces, complaints, unsubscribes; optional ip, provider) or a JSON array of
    /// objects with the same keys
    #[arg(value_name = "STATS", required = true)]
    files: Vec<PathBuf>,

    /// The report's day (YYYY-MM-DD): stale data and tomorrow's volume are measured from it;
    /// default: the newest date in the data
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    as_of: Option<mailaudit::sender::Date>,

    /// DOMAIN started its warm-up on DATE (day 1 of the schedule); repeatable
    #[arg(long, value_name = "DOMAIN=DATE", value_parser = parse_warmup_start)]
    warmup_start: Vec<(String, mailaudit::sender::Date)>,

    /// DOMAIN is an established sender: never treat its history as a warm-up; repeatable
    #[arg(long, value_name = "DOMAIN")]
    established: Vec<String>,
}

#[derive(Debug, Args)]
struct MessageArgs {
    /// Draft files and directories of drafts (.eml, searched recursively)
    #[arg(value_name = "PATH", required = true)]
    paths: Vec<PathBuf>,

    /// The drafts are sequence templates: merge tags are expected, and a platform unsubscribe
    /// token counts as an https one-click link
    #[arg(long)]
    template: bool,

    /// Thresholds and rules for this kind of mail
    #[arg(long, value_enum, default_value_t = ProfileArg::ColdOutreach)]
    profile: ProfileArg,

    /// Drafts larger than this are not parsed but reported (message/too-large): bytes, or a
    /// number with KB, MB, GB (powers of 1000) or KiB, MiB, GiB
    #[arg(long, value_name = "SIZE", default_value = "10MB", value_parser = parse_size)]
    max_size: u64,

    /// Verify DKIM-Signature headers against keys from live DNS (the system resolver). With
    /// --zone or --nameserver they are verified from there without this flag; otherwise only
    /// the checks that need no key run
    #[arg(long)]
    verify_dkim: bool,

    /// The clock for DKIM x= expiry, in Unix seconds (reproducible verification of old mail)
    #[arg(long, value_name = "UNIX_SECONDS", hide = true)]
    dkim_now: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ProfileArg {
    /// One-to-one prospecting sequences (rules/profiles/cold-outreach.toml)
    ColdOutreach,
    /// Issues sent to a subscriber list (rules/profiles/newsletter.toml)
    Newsletter,
}

impl ProfileArg {
    fn name(self) -> &'static str {
        match self {
            ProfileArg::ColdOutreach => "cold-outreach",
            ProfileArg::Newsletter => "newsletter",
        }
    }
}

#[derive(Debug, Args)]
struct DomainArgs {
    /// Sending domains to audit
    #[arg(value_name = "DOMAIN", required_unless_present = "domains_file")]
    domains: Vec<String>,

    /// Read more domains from FILE, one per line (# starts a comment)
    #[arg(long, value_name = "FILE")]
    domains_file: Option<PathBuf>,

    /// DKIM selector to check (repeatable); without it, common selectors are probed
    #[arg(long, value_name = "SELECTOR")]
    selector: Vec<String>,

    /// Sending IP: check the SPF result and reverse DNS for it (repeatable)
    #[arg(long, value_name = "IP")]
    ip: Vec<IpAddr>,

    /// Envelope sender (MAIL FROM) whose domain SPF is checked for
    #[arg(long, value_name = "ADDR")]
    mail_from: Option<String>,

    /// HELO/EHLO name of the sending server
    #[arg(long, value_name = "NAME")]
    helo: Option<String>,
}

impl DomainArgs {
    /// The domains from the command line, then those of --domains-file; each domain of the
    /// file is recorded in `locations` with its line, for SARIF and github output.
    fn domain_list(&self, locations: &mut SarifContext) -> Result<Vec<String>> {
        let mut domains = self.domains.clone();
        if let Some(path) = &self.domains_file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read domains file {}", path.display()))?;
            let file = path.display().to_string();
            for (number, line) in text.lines().enumerate() {
                let line = line.split('#').next().unwrap_or("").trim();
                if !line.is_empty() {
                    let number = u32::try_from(number + 1).unwrap_or(u32::MAX);
                    locations.add_fallback(line, &file, number);
                    domains.push(line.to_string());
                }
            }
        }
        if domains.is_empty() {
            bail!("no domains to audit");
        }
        // The same domain twice (any case, trailing dot or not) is audited once.
        let mut seen = std::collections::HashSet::new();
        domains.retain(|d| seen.insert(mailaudit::dns::normalize_name(d)));
        Ok(domains)
    }
}

#[derive(Debug, Args)]
struct SpfArgs {
    /// Domain whose SPF policy is evaluated
    #[arg(value_name = "DOMAIN")]
    domain: String,

    /// Sending IP to evaluate
    #[arg(long, value_name = "IP", required = true)]
    ip: IpAddr,

    /// Envelope sender (MAIL FROM); postmaster@DOMAIN when not given
    #[arg(long, value_name = "ADDR")]
    mail_from: Option<String>,

    /// HELO/EHLO name of the sending server
    #[arg(long, value_name = "NAME")]
    helo: Option<String>,
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

fn parse_date(text: &str) -> Result<mailaudit::sender::Date, String> {
    mailaudit::sender::Date::parse(text.trim())
        .ok_or_else(|| format!("`{text}` is not a date written YYYY-MM-DD"))
}

fn parse_warmup_start(text: &str) -> Result<(String, mailaudit::sender::Date), String> {
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

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // --help and --version come here too, with exit code 0; usage errors with 2.
            let _ = err.print();
            return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(EXIT_TROUBLE));
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        // The reader went away (`| head`): nothing to tell it, but the report is incomplete.
        Err(err) if is_broken_pipe(&err) => ExitCode::from(EXIT_TROUBLE),
        Err(err) => {
            // Errors quote their input (a TOML line, a CSV field): escape it line by line.
            let text = format!("{err:#}");
            let safe: Vec<String> = text
                .split('\n')
                .map(|line| mailaudit::text::escape_untrusted(line).into_owned())
                .collect();
            eprintln!("mailaudit: error: {}", safe.join("\n"));
            ExitCode::from(EXIT_TROUBLE)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: Cli) -> Result<u8> {
    let common = &cli.common;
    // Completions need no configuration: a broken mailaudit.toml must not break the shell.
    if let Command::Completions { shell } = &cli.command {
        return completions(common, *shell);
    }
    colored::control::set_override(use_colour(common));
    // A campaign file names the profile and holds rule overrides and ignores of its own.
    let campaign = match &cli.command {
        Command::Check(args) => Some(Campaign::load(&args.campaign)?),
        _ => None,
    };
    let mut config = Config::discover(Path::new("."), common.rules.as_deref())?;
    if let Some(campaign) = &campaign {
        config.layer(campaign.config.clone());
    }
    let mut rules = Rules::builtin().context("the built-in rule data is broken")?;
    // A profile changes the built-in data; the user's files are layered on top of it.
    if let Command::Message(args) = &cli.command {
        rules.apply_profile(args.profile.name())?;
    }
    if let Some(campaign) = &campaign {
        rules.apply_profile(&campaign.profile)?;
    }
    rules.apply(&config)?;
    match &cli.command {
        Command::Rules { rule } => show_rules(common, &rules, rule.as_deref()),
        Command::Domain(args) => audit(common, &rules, &config, "domain", |ctx, sink| {
            run_domain(args, ctx, sink)
        }),
        Command::Spf(args) => audit(common, &rules, &config, "spf", |ctx, sink| {
            run_spf(args, ctx, sink)
        }),
        Command::Check(args) => match &campaign {
            Some(campaign) => run_check_command(common, &rules, &config, args, campaign),
            None => unreachable!("the campaign of `check` is loaded above"),
        },
        Command::Completions { shell } => completions(common, *shell),
        Command::Message(args) => {
            check_draft_paths(&args.paths)?;
            let mode = Mode::Drafts {
                profile: args.profile.name().to_string(),
                template: args.template,
            };
            audit_in_mode(
                common,
                &rules,
                &config,
                "message",
                Some(mode),
                |ctx, sink| run_message(args, ctx, sink),
            )
        }
        Command::Sender(args) => {
            let mode = Mode::Stats {
                files: args.files.iter().map(|f| f.display().to_string()).collect(),
            };
            audit_in_mode(
                common,
                &rules,
                &config,
                "sender",
                Some(mode),
                |ctx, sink| run_sender(args, ctx, sink),
            )
        }
    }
}

/// Colour only for a person at a terminal, and never when NO_COLOR is set (no-color.org).
fn use_colour(common: &Common) -> bool {
    common.output.is_none()
        && common.format == FormatArg::Human
        && io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
}

/// `mailaudit rules [RULE]`.
fn show_rules(common: &Common, rules: &Rules, id: Option<&str>) -> Result<u8> {
    if let Some(id) = id
        && rules.get(id).is_none()
    {
        bail!("unknown rule `{id}`; `mailaudit rules` lists the rule ids");
    }
    let mut output = Output::open(common.output.as_deref())?;
    match (id.and_then(|id| rules.get(id)), common.format) {
        (None, FormatArg::Human) => report::rules::write_list(rules, &mut output)?,
        (Some(meta), FormatArg::Human) => report::rules::write_doc(rules, meta, &mut output)?,
        (_, FormatArg::Json) => report::json::write_rules(rules, id, &mut output)?,
        (_, FormatArg::Jsonl | FormatArg::Sarif | FormatArg::Github) => {
            bail!("`mailaudit rules` has no jsonl, sarif or github form; use --format json")
        }
    }
    output.commit()?;
    Ok(0)
}

/// `mailaudit completions SHELL`: the completion script on stdout (or `--output`).
fn completions(common: &Common, shell: clap_complete::Shell) -> Result<u8> {
    use clap::CommandFactory;
    let mut output = Output::open(common.output.as_deref())?;
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "mailaudit", &mut output);
    output.commit()?;
    Ok(0)
}

/// What every audit gets from the shared options.
struct AuditContext<'a> {
    rules: &'a Rules,
    mode: Mode,
    /// Offline when not empty: answer DNS from these files only (directories expanded).
    zone_files: Vec<PathBuf>,
    /// Live DNS servers; empty means the system's resolvers.
    nameservers: &'a [SocketAddr],
    timeout: Duration,
    concurrency: NonZeroUsize,
}

impl<'a> AuditContext<'a> {
    fn new(common: &'a Common, rules: &'a Rules) -> Result<AuditContext<'a>> {
        // Fail early (exit 2) on a zone file that cannot be read, before any output.
        let zone_files = expand_zone_paths(&common.zone)?;
        for path in &zone_files {
            std::fs::File::open(path)
                .with_context(|| format!("cannot read zone file {}", path.display()))?;
        }
        let mode = if common.zone.is_empty() {
            Mode::Live {
                nameservers: common.nameserver.iter().map(|a| a.to_string()).collect(),
            }
        } else {
            Mode::Offline {
                zone_files: common
                    .zone
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect(),
            }
        };
        Ok(AuditContext {
            rules,
            mode,
            zone_files,
            nameservers: &common.nameserver,
            timeout: common.timeout,
            concurrency: common.concurrency,
        })
    }
}

/// `--zone` takes files and directories; a directory stands for its `*.zone` files, sorted.
fn expand_zone_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if !path.is_dir() {
            files.push(path.clone());
            continue;
        }
        let entries = std::fs::read_dir(path)
            .with_context(|| format!("cannot read zone directory {}", path.display()))?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
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

/// The shared path of every audit command: run it, settle and render its results, map the
/// worst finding to the exit code.
fn audit(
    common: &Common,
    rules: &Rules,
    config: &Config,
    command: &str,
    run: impl FnOnce(&AuditContext, &mut ResultSink) -> Result<()>,
) -> Result<u8> {
    audit_in_mode(common, rules, config, command, None, run)
}

/// [`audit`], with the report's mode given instead of taken from the DNS options (a command
/// that makes no DNS queries says how it read its files).
fn audit_in_mode(
    common: &Common,
    rules: &Rules,
    config: &Config,
    command: &str,
    mode: Option<Mode>,
    run: impl FnOnce(&AuditContext, &mut ResultSink) -> Result<()>,
) -> Result<u8> {
    let ctx = AuditContext::new(common, rules)?;
    let output = Output::open(common.output.as_deref())?;
    let report = Report::new(command, mode.unwrap_or_else(|| ctx.mode.clone()));
    let mut sink = ResultSink::new(rules, config, common.format.into(), output, report);
    // SARIF and github locations: paths relative to the working directory; a DNS target
    // that no input line names points at the first zone file.
    let locations = sink.locations_mut();
    locations.root = std::env::current_dir().ok();
    locations.default_uri = ctx.zone_files.first().map(|p| p.display().to_string());
    run(&ctx, &mut sink)?;
    let worst = sink.finish()?;
    Ok(exit_status(worst, common.fail_on))
}

fn exit_status(worst: Option<Severity>, fail_on: FailOn) -> u8 {
    match (worst, fail_on.threshold()) {
        (Some(worst), Some(threshold)) if worst >= threshold => EXIT_FINDINGS,
        _ => 0,
    }
}

/// The domain audit: each domain of the list, up to `--concurrency` at once, all sharing one
/// resolver (and so one DNS cache); results go to the sink as each domain finishes.
fn run_domain(args: &DomainArgs, ctx: &AuditContext, sink: &mut ResultSink) -> Result<()> {
    let domains = args.domain_list(sink.locations_mut())?;
    let runtime = runtime()?;
    let resolver = build_resolver(ctx)?;
    let rules = Arc::new(ctx.rules.clone());
    sink.checked(mailaudit::spf::audit::RULES);
    sink.checked(mailaudit::domain::RULES);
    sink.checked(mailaudit::dkim::audit::RULES);
    sink.checked(mailaudit::mx::RULES);
    sink.checked(mailaudit::dmarc::RULES);
    let domains_count = domains.len();
    let requests = domains.into_iter().map(|domain| DomainRequest {
        domain,
        selectors: args.selector.clone(),
        ips: args.ip.clone(),
        mail_from: args.mail_from.clone(),
        helo: args.helo.clone(),
    });
    let progress = progress_bar(domains_count as u64);
    let outcome = runtime.block_on(audit_domains(
        &resolver,
        &rules,
        requests,
        ctx.concurrency.get(),
        |audit| {
            progress.inc(1);
            let audit = audit.map_err(|domain| {
                anyhow::anyhow!("the audit of {domain} stopped unexpectedly (a bug in mailaudit)")
            })?;
            let mut result = TargetResult::new(audit.domain, Kind::Domain);
            result.facts = audit.facts.into();
            result.findings = audit.findings;
            Ok(sink.emit(result)?)
        },
    ));
    progress.finish_and_clear();
    outcome
}

/// A progress bar on stderr, drawn only when stderr is a terminal and there is more than one
/// target; the report on stdout is never touched.
fn progress_bar(targets: u64) -> indicatif::ProgressBar {
    if targets < 2 || !io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(targets),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} domains {per_sec} {eta}")
    {
        bar.set_style(style);
    }
    bar
}

/// `check_host()` for one (ip, domain, sender): the result, the deciding term, the
/// explanation and the trace go in the facts; a result other than pass is a finding.
fn run_spf(args: &SpfArgs, ctx: &AuditContext, sink: &mut ResultSink) -> Result<()> {
    let runtime = runtime()?;
    let resolver = build_resolver(ctx)?;
    let domain = mailaudit::dns::normalize_name(&args.domain);
    let input = CheckHostInput {
        ip: args.ip,
        domain: domain.clone(),
        sender: args
            .mail_from
            .clone()
            .unwrap_or_else(|| format!("postmaster@{domain}")),
        helo: args.helo.clone().unwrap_or_else(|| domain.clone()),
    };
    let outcome = runtime.block_on(check_host(&resolver, &input, &CheckHostOptions::default()));
    sink.checked(mailaudit::domain::RULES);
    let mut result = TargetResult::new(domain.clone(), Kind::Spf);
    result.findings = mailaudit::domain::ip_verdict_findings(ctx.rules, &domain, &input, &outcome);
    result.result = Some(outcome.result.as_str().to_string());
    result.facts = CheckHostFacts {
        outcome,
        ip: input.ip,
        sender: input.sender,
        helo: input.helo,
    }
    .into();
    Ok(sink.emit(result)?)
}

/// Every path named on the command line must exist, and a directory must hold drafts: a
/// mistyped path or an empty directory is a usage error (exit 2), not a clean run.
fn check_draft_paths(paths: &[PathBuf]) -> Result<()> {
    for path in paths {
        let meta =
            std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
        if meta.is_dir() {
            if !mailaudit::message::run::has_drafts(path) {
                bail!("no .eml drafts under {}", path.display());
            }
        } else {
            std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
        }
    }
    Ok(())
}

/// The draft audit: every draft on up to one thread per core (at most --concurrency), results
/// to the sink in walk order as they finish, then each directory's sequence result.
fn run_message(args: &MessageArgs, ctx: &AuditContext, sink: &mut ResultSink) -> Result<()> {
    let runtime = runtime()?;
    let dns_given = !ctx.zone_files.is_empty() || !ctx.nameservers.is_empty();
    let dkim = if dns_given || args.verify_dkim {
        Some(mailaudit::message::DkimVerifier {
            resolver: build_resolver(ctx)?,
            runtime: runtime.handle().clone(),
            now: args.dkim_now,
        })
    } else {
        None
    };
    let options = mailaudit::message::DraftOptions {
        template: args.template,
        max_size: args.max_size,
        dkim,
    };
    sink.checked(&mailaudit::message::audit::all_rules());
    let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    let workers = cores.min(ctx.concurrency.get());
    mailaudit::message::audit_paths(&args.paths, ctx.rules, &options, workers, |done| {
        let done = done.map_err(|path| {
            anyhow::anyhow!("the audit of {path} stopped unexpectedly (a bug in mailaudit)")
        })?;
        Ok(sink.emit(done.into_target_result())?)
    })
}

/// `mailaudit check`: DNS from --zone/--nameserver when given, else from the campaign's
/// `zones`, else live.
fn run_check_command(
    common: &Common,
    rules: &Rules,
    config: &Config,
    args: &CheckArgs,
    campaign: &Campaign,
) -> Result<u8> {
    let campaign_zones = common.zone.is_empty() && common.nameserver.is_empty();
    let zone_files = if campaign_zones {
        expand_zone_paths(&campaign.zones)?
    } else {
        Vec::new()
    };
    let mode = (campaign_zones && !campaign.zones.is_empty()).then(|| Mode::Offline {
        zone_files: campaign
            .zones
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
    });
    // The statistics first: a bulk sender's requirements are errors over the whole report,
    // whatever severity the profile or the user's files give them.
    let stats = mailaudit::campaign::score_stats(campaign, rules)?;
    let mut rules = rules.clone();
    if mailaudit::campaign::is_bulk(campaign, &stats) {
        rules.raise_to_error(mailaudit::campaign::bulk::bulk_requirements());
    }
    let rules = &rules;
    audit_in_mode(common, rules, config, "check", mode, |ctx, sink| {
        let runtime = runtime()?;
        let resolver = if zone_files.is_empty() {
            build_resolver(ctx)?
        } else {
            Resolver::offline(ZoneSet::load_files(&zone_files)?)
        };
        run_check(args, campaign, stats, ctx, &resolver, &runtime, sink)
    })
}

/// The campaign's results, settled by the sink as they come.
fn run_check(
    args: &CheckArgs,
    campaign: &Campaign,
    stats: mailaudit::campaign::StatsOutcome,
    ctx: &AuditContext,
    resolver: &Resolver,
    runtime: &tokio::runtime::Runtime,
    sink: &mut ResultSink,
) -> Result<()> {
    sink.checked(&mailaudit::campaign::all_rules());
    // SARIF and github: a finding without a file of its own (a record span) points at the
    // campaign file's key that names its domain or IP, else at the campaign file.
    let locations = sink.locations_mut();
    for (target, line) in mailaudit::campaign::check::target_lines(campaign) {
        locations.add_fallback(&target, campaign.source.clone(), line);
    }
    locations.default_uri = Some(campaign.source.clone());
    let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    let options = mailaudit::campaign::CheckOptions {
        concurrency: ctx.concurrency.get(),
        workers: cores.min(ctx.concurrency.get()),
        max_size: args.max_size,
        dkim: Some(mailaudit::message::DkimVerifier {
            resolver: resolver.clone(),
            runtime: runtime.handle().clone(),
            now: None,
        }),
        stats: Some(stats),
    };
    mailaudit::campaign::check_campaign(
        campaign,
        resolver,
        runtime.handle(),
        ctx.rules,
        &options,
        |done| {
            let result = done.map_err(|name| {
                anyhow::anyhow!("the audit of {name} stopped unexpectedly (a bug in mailaudit)")
            })?;
            Ok::<(), anyhow::Error>(sink.emit(result)?)
        },
    )
}

/// The stats audit: every file read and checked first (a bad row stops the run with exit 2
/// before any output), then one result per domain.
fn run_sender(args: &SenderArgs, ctx: &AuditContext, sink: &mut ResultSink) -> Result<()> {
    // A finding without a row of its own (no recent data) points at the first stats file.
    sink.locations_mut().default_uri = args.files.first().map(|f| f.display().to_string());
    let mut options = mailaudit::sender::SenderOptions {
        as_of: args.as_of,
        ..Default::default()
    };
    for (domain, date) in &args.warmup_start {
        if options.warmup_start.insert(domain.clone(), *date).is_some() {
            bail!("--warmup-start is given twice for {domain}");
        }
    }
    for domain in &args.established {
        options
            .established
            .insert(mailaudit::dns::normalize_name(domain.trim()));
    }
    sink.checked(mailaudit::sender::RULES);
    let run = mailaudit::sender::audit_files(&args.files, ctx.rules, &options)?;
    for result in run.results {
        sink.emit(result.into_target_result())?;
    }
    Ok(())
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Zone files when given (offline), otherwise live DNS.
fn build_resolver(ctx: &AuditContext) -> Result<Resolver> {
    if ctx.zone_files.is_empty() {
        let config = LiveConfig {
            nameservers: ctx.nameservers.to_vec(),
            timeout: ctx.timeout,
            ..LiveConfig::default()
        };
        return Resolver::live(config).context("cannot set up live DNS");
    }
    let zones = ZoneSet::load_files(&ctx.zone_files)?;
    Ok(Resolver::offline(zones))
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
            assert_eq!(exit_status(worst, fail_on), status, "{worst:?} {fail_on:?}");
        }
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
