use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = hookscope::cli::Cli::parse();
    match hookscope::cli::run(&cli) {
        Some(Ok(code)) => code,
        Some(Err(e)) => hookscope::cli::report(&e),
        None => ExitCode::SUCCESS,
    }
}
