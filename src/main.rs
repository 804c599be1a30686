use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = hookscope::cli::Cli::parse();
    let result = match hookscope::cli::run(&cli) {
        Some(result) => result,
        None => hookscope::app::run_window(&cli),
    };
    match result {
        Ok(code) => code,
        Err(e) => hookscope::cli::report(&e),
    }
}
