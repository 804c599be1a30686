use std::process::ExitCode;

use clap::Parser as _;

/// Many small allocations on several threads (requests, captures, frames): mimalloc keeps them
/// cheap and uncontended.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = hookscope::cli::Cli::parse();
    let result = match hookscope::cli::run(&cli) {
        Some(result) => result,
        None => hookscope::app::run_window(&cli),
    };
    let code = match result {
        Ok(code) => code,
        Err(e) => hookscope::cli::report(&e),
    };
    hookscope::cli::checked_exit(code)
}
