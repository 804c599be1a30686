//! Command-line interface: clap definitions and the headless subcommands.

/// `println!` for command output: a closed pipe (`| head`) ends output quietly instead of
/// panicking.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::out(&format!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` for command output (see [`outln`]).
macro_rules! outp {
    ($($arg:tt)*) => {
        $crate::cli::out(&format!($($arg)*))
    };
}

mod filter;
mod forward;
pub mod interchange;
mod listen;
mod read;
mod replay;
mod rules;
mod send;
pub mod signature;
mod subscriptions;

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::server::{DEFAULT_MAX_BODY_BYTES, DEFAULT_PORT};

/// A native webhook inspector: capture, verify, replay and send webhooks.
#[derive(Debug, Parser)]
#[command(name = "hookscope", version, about, long_about = None)]
pub struct Cli {
    /// Where captures, profiles and settings are kept (default: the platform data dir).
    #[arg(long, global = true, env = "HOOKSCOPE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Window only: receiver port (overrides the saved setting).
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,

    /// Window only: receiver bind address (overrides the saved setting).
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<IpAddr>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the receiver without a window; Ctrl-C (SIGINT) or SIGTERM stops it cleanly.
    Listen(ListenArgs),
    /// List stored captures, newest last.
    List(ListArgs),
    /// Show one capture.
    Show(ShowArgs),
    /// Totals over stored captures.
    Stats(JsonFlag),
    /// Delete every stored capture.
    Clear,
    /// Verify a request's signature: exit 0 valid, 1 invalid, 2 usage error.
    Verify(signature::VerifyArgs),
    /// Print the signature headers a provider would add to a request.
    Sign(signature::SignArgs),
    /// Export captures as HAR 1.2 or NDJSON (secrets are never part of a capture).
    Export(interchange::ExportArgs),
    /// Import a HAR or NDJSON file, a curl command or a raw HTTP request; prints the new ids.
    Import(interchange::ImportArgs),
    /// Print a curl command that sends a capture's exact bytes again.
    Curl(interchange::CurlArgs),
    /// Compare two captures: request line, headers and body.
    Diff(interchange::DiffArgs),
    /// Manage signing profiles (path pattern → scheme + secret).
    Profile {
        #[command(subcommand)]
        command: signature::ProfileCommand,
    },
    /// Send a stored capture again, optionally edited and re-signed.
    Replay(replay::ReplayArgs),
    /// Send synthetic test events (flagged "test": true) with the provider's headers and signature.
    Send(send::SendArgs),
    /// List the test-event templates (PROVIDER:EVENT), or show one.
    Events(send::EventsArgs),
    /// MaintainX webhook subscriptions: list, create, delete; the API key comes from an environment variable.
    Subscriptions {
        #[command(subcommand)]
        command: subscriptions::SubscriptionsCommand,
    },
}

#[derive(Debug, Args)]
pub struct ListenArgs {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = DEFAULT_PORT)]
    pub port: u16,
    /// Address to bind; anything but loopback exposes captures to the network.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Largest body accepted; larger requests get 413 and are still recorded.
    #[arg(long, default_value_t = DEFAULT_MAX_BODY_BYTES, value_name = "BYTES")]
    pub max_body_bytes: usize,
    /// Print one JSON line per capture on stdout as it is committed.
    #[arg(long)]
    pub json: bool,
    /// Also send every capture to this URL once stored (path from the URL, or the capture's
    /// path when the URL has none); attempts are recorded with the capture.
    #[arg(long, value_name = "URL")]
    pub forward_to: Option<String>,
    /// Response rules (TOML); without it, the rules saved in the window apply.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    #[command(flatten)]
    pub retention: RetentionArgs,
}

/// Longest `--timeout-secs` (`replay`, `send`): a day; longer is a typo, not a wait.
pub(crate) const MAX_TIMEOUT_SECS: u64 = 24 * 3600;

/// Smallest `--keep-bytes`: below it every capture would go at once.
const MIN_KEEP_BYTES: u64 = 1024 * 1024;

/// Retention limits for `listen`: the oldest captures past any limit are deleted.
#[derive(Debug, Args, Default, Clone, Copy)]
pub struct RetentionArgs {
    /// Keep only the newest N captures (at least 1; `hookscope clear` deletes them all).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub keep_count: Option<u64>,
    /// Keep only captures received in the last D days (at least 1).
    #[arg(long, value_name = "D", value_parser = clap::value_parser!(u32).range(1..))]
    pub keep_days: Option<u32>,
    /// Keep the database under B bytes in use, at least 1 MiB (oldest captures go first).
    #[arg(long, value_name = "B", value_parser = clap::value_parser!(u64).range(MIN_KEEP_BYTES..))]
    pub keep_bytes: Option<u64>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// How many of the newest (matching) captures to list [default: 50, or every match with --filter].
    #[arg(long)]
    pub limit: Option<usize>,
    /// Only captures matching this filter, e.g. `method:POST path:/smtm/* verdict:invalid "text"`.
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
    pub filter: Option<String>,
    /// One capture JSON object per line.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Capture id (as shown by `list`).
    pub id: crate::capture::CaptureId,
    /// The capture as one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

/// Exit code for usage errors and an unavailable port.
pub const EXIT_USAGE: u8 = 2;

/// A failure the CLI reports as one line with a given exit code.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct CliError {
    pub message: String,
    pub code: u8,
}

impl CliError {
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            code: EXIT_USAGE,
        }
    }
}

/// Most bytes a body given on the command line (`--body-file`, `-` for stdin) may have: the
/// receiver's default body cap. More is refused before it is all read (`/dev/zero` would
/// otherwise fill the memory), and every attempt stores its body.
pub const MAX_BODY_FILE_BYTES: usize = crate::server::DEFAULT_MAX_BODY_BYTES;

/// Read a request body from `path` (`-`: stdin), at most [`MAX_BODY_FILE_BYTES`].
pub(crate) fn read_body_file(path: &std::path::Path) -> Result<Vec<u8>, CliError> {
    use std::io::Read as _;
    let (name, reader): (String, Box<dyn std::io::Read>) = if path.as_os_str() == "-" {
        ("stdin".into(), Box::new(std::io::stdin()))
    } else {
        let file = std::fs::File::open(path)
            .map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))?;
        (path.display().to_string(), Box::new(file))
    };
    let mut bytes = Vec::new();
    reader
        .take(MAX_BODY_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::usage(format!("cannot read {name}: {e}")))?;
    if bytes.len() > MAX_BODY_FILE_BYTES {
        return Err(CliError::usage(format!(
            "the body in {name} is larger than {} MiB, the most a request body may have here",
            MAX_BODY_FILE_BYTES >> 20
        )));
    }
    Ok(bytes)
}

/// Write to stdout; a closed pipe (`| head`) ends output quietly.
pub(crate) fn out(text: &str) {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        // A reader that went away (`| head`) is normal; anything else (a full disk) is not.
        if e.kind() != std::io::ErrorKind::BrokenPipe
            && let Ok(mut first) = STDOUT_ERROR.lock()
        {
            first.get_or_insert_with(|| e.to_string());
        }
    }
}

/// The first error writing to standard output, other than a closed pipe.
static STDOUT_ERROR: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Exit status for a command whose output could not be written: the command's own status
/// otherwise, so a backup sent to a full disk never looks successful.
pub fn checked_exit(code: ExitCode) -> ExitCode {
    match STDOUT_ERROR.lock().ok().and_then(|mut e| e.take()) {
        Some(e) => {
            eprintln!("hookscope: cannot write to standard output: {e}");
            ExitCode::from(1)
        }
        None => code,
    }
}

/// `--secret`: refused when empty or blank (always a slip: no provider issues such a secret).
pub(crate) fn secret_arg(text: &str) -> Result<crate::signature::Secret, String> {
    if text.trim().is_empty() {
        Err("the secret is empty".into())
    } else {
        Ok(crate::signature::Secret::new(text))
    }
}

/// The data dir: `--data-dir` / `HOOKSCOPE_DATA_DIR`, else the platform data dir.
pub fn data_dir(flag: Option<&PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = flag {
        return Ok(dir.clone());
    }
    directories::ProjectDirs::from("dev", "hookscope", "hookscope")
        .map(|d| d.data_dir().to_path_buf())
        .ok_or_else(|| anyhow::anyhow!("no home directory found; pass --data-dir"))
}

/// For commands whose exit status 1 is an answer (`diff`: they differ; `verify`: invalid), every
/// error exits 2, so a missing capture or a damaged database is never read as that answer.
fn errors_exit_2(result: anyhow::Result<ExitCode>) -> anyhow::Result<ExitCode> {
    result.map_err(|e| {
        let message = format!("{e:#}");
        let code = e
            .downcast_ref::<CliError>()
            .map_or(EXIT_USAGE, |c| c.code.max(EXIT_USAGE));
        CliError { message, code }.into()
    })
}

/// Run a headless subcommand. Returns `None` when no subcommand was given (open the window).
pub fn run(cli: &Cli) -> Option<anyhow::Result<ExitCode>> {
    let command = cli.command.as_ref()?;
    let dir = match data_dir(cli.data_dir.as_ref()) {
        Ok(d) => d,
        Err(e) => return Some(Err(e)),
    };
    Some(match command {
        Command::Listen(args) => listen::run(&dir, args),
        Command::List(args) => read::list(&dir, args),
        Command::Show(args) => read::show(&dir, args),
        Command::Stats(args) => read::stats(&dir, args.json),
        Command::Clear => read::clear(&dir),
        Command::Export(args) => interchange::export(&dir, args),
        Command::Import(args) => interchange::import_command(&dir, args),
        Command::Curl(args) => interchange::curl(&dir, args),
        Command::Diff(args) => errors_exit_2(interchange::diff(&dir, args)),
        Command::Verify(args) => errors_exit_2(signature::verify(&dir, args)),
        Command::Sign(args) => signature::sign_command(&dir, args),
        Command::Profile { command } => signature::profile(&dir, command),
        Command::Replay(args) => replay::run(&dir, args),
        Command::Send(args) => send::send(&dir, args),
        Command::Events(args) => send::events(args),
        Command::Subscriptions { command } => subscriptions::run(command),
    })
}

/// Print an error as one line and turn it into an exit code.
/// Longest error line printed; anything longer is input echoed back, not explanation.
const MAX_ERROR_CHARS: usize = 1000;

pub fn report(err: &anyhow::Error) -> ExitCode {
    let code = err.downcast_ref::<CliError>().map_or(1, |e| e.code);
    // Input quoted by a library's message (a path, a field value) is cut short here too.
    let mut message = crate::capture::clip::clip_quoted(&format!("{err:#}"));
    if message.chars().count() > MAX_ERROR_CHARS {
        message = message.chars().take(MAX_ERROR_CHARS).collect::<String>() + "…";
    }
    eprintln!("hookscope: error: {message}");
    ExitCode::from(code)
}
