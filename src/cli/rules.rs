//! `listen --rules FILE` and the retention flags.

use std::path::Path;

use super::{CliError, RetentionArgs};
use crate::server::RuleSet;
use crate::store::retention::RetentionPolicy;
use crate::store::{Store, kv};

/// Read and check a rules file: any problem is one line naming the file and line, exit 2.
pub fn load_rules_file(path: &Path) -> Result<RuleSet, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::usage(format!("cannot read the rules file {}: {e}", path.display())))?;
    RuleSet::from_toml(&text).map_err(|e| {
        CliError::usage(format!(
            "rules file {}: line {}: {}",
            path.display(),
            e.line,
            e.message.replace('\n', " ")
        ))
    })
}

/// The rules saved from the window, if any (an unreadable entry is reported, not fatal).
pub fn saved_rules(store: &Store) -> Option<RuleSet> {
    let conn = store.connect_ro().ok()?;
    let text = kv::get(&conn, kv::RESPONSE_RULES).ok()??;
    match RuleSet::from_toml(&text) {
        Ok(set) => Some(set),
        Err(e) => {
            eprintln!(
                "hookscope: warning: the saved response rules are unusable ({e}); answering 200 to everything"
            );
            None
        }
    }
}

pub fn policy(args: &RetentionArgs) -> RetentionPolicy {
    RetentionPolicy {
        keep_count: args.keep_count,
        keep_days: args.keep_days,
        keep_bytes: args.keep_bytes,
    }
}
