//! The `mailaudit` binary: parse arguments, hand them to the application
//! ([`mailaudit::app`]), print errors, choose colour, and turn the outcome into an exit code.

mod cli;

use anyhow::Result;
use clap::CommandFactory;
use cli::{Cli, Command, EXIT_TROUBLE, FormatArg};
use mailaudit::report::Output;
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

// Reading feedback, reports and drafts makes and drops many small strings per message; the
// system allocator's locks and consolidation cost a tenth of a bulk run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match Cli::parse_args() {
        Ok(cli) => cli,
        Err(err) => {
            // --help and --version come here too, with exit code 0; usage errors with 2.
            let _ = err.print();
            return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(EXIT_TROUBLE));
        }
    };
    if cli.output().is_some() {
        remove_temp_files_on_signal();
    }
    match run(&cli) {
        Ok(code) => ExitCode::from(code),
        // The reader went away (`| head`): nothing to tell it, but the report is incomplete.
        Err(err) if is_broken_pipe(&err) => ExitCode::from(EXIT_TROUBLE),
        Err(err) => {
            // Errors quote their input (a TOML line, a CSV field): escape it line by line.
            let text = error_text(&err);
            let safe: Vec<String> = text
                .split('\n')
                .map(|line| mailaudit::text::escape_untrusted(line).into_owned())
                .collect();
            eprintln!("mailaudit: error: {}", safe.join("\n"));
            ExitCode::from(EXIT_TROUBLE)
        }
    }
}

/// SIGINT or SIGTERM during a run with `--output`: remove the temporary report file (the
/// file at the path is left as it was) and exit with 128 + the signal's number.
fn remove_temp_files_on_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (ready, registered) = std::sync::mpsc::sync_channel(1);
    let spawned = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                let _ = ready.send(());
                return;
            };
            runtime.block_on(async move {
                let interrupt = signal(SignalKind::interrupt());
                let terminate = signal(SignalKind::terminate());
                let _ = ready.send(());
                let (Ok(mut interrupt), Ok(mut terminate)) = (interrupt, terminate) else {
                    return;
                };
                let code = tokio::select! {
                    _ = interrupt.recv() => 128 + 2,
                    _ = terminate.recv() => 128 + 15,
                };
                mailaudit::report::cleanup::remove_all();
                std::process::exit(code);
            });
        });
    if spawned.is_ok() {
        // Run only once the handlers are in place.
        let _ = registered.recv();
    }
}

/// The error and its causes joined by ": ", as `{:#}` does, but a cause its parent already
/// ends with is said once (an error that shows its source and also declares it as
/// `#[source]` would print it twice).
fn error_text(err: &anyhow::Error) -> String {
    let mut text = err.to_string();
    for cause in err.chain().skip(1) {
        let cause = cause.to_string();
        if !text.ends_with(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: &Cli) -> Result<u8> {
    // Completions need no configuration: a broken mailaudit.toml must not break the shell.
    if let Command::Completions(args) = &cli.command {
        return completions(cli, args.shell);
    }
    colored::control::set_override(use_colour(cli));
    let (options, Some(command)) = cli.options() else {
        unreachable!("every command but completions is the application's")
    };
    let verdict = mailaudit::app::run(&options, &command)?;
    Ok(cli::exit_status(verdict))
}

/// Colour only for a person at a terminal, and never when NO_COLOR is set (no-color.org).
fn use_colour(cli: &Cli) -> bool {
    cli.output().is_none()
        && cli.format() == FormatArg::Human
        && io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
}

/// `mailaudit completions SHELL`: the completion script on stdout (or `--output`).
fn completions(cli: &Cli, shell: clap_complete::Shell) -> Result<u8> {
    let mut output = Output::open(cli.output())?;
    let mut command = Cli::command();
    // clap_complete panics on a write error: generate into memory, then write and report.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "mailaudit", &mut script);
    output.write_all(&script)?;
    output.commit()?;
    Ok(0)
}
