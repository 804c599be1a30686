//! `hookscope subscriptions list|create|delete`: the MaintainX webhooks of an organisation
//! (PRODUCT.md §9). The API key is read from an environment variable, never from the command
//! line, and never printed.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::CliError;
use crate::capture::clip::escape_controls;
use crate::signature::Secret;
use crate::subscriptions::{API_KEY_ENV, ApiConfig, DEFAULT_BASE_URL, Subscription, create, delete, list};

#[derive(Debug, Args)]
pub struct ApiArgs {
    /// The MaintainX API's base URL.
    #[arg(long, value_name = "URL", env = "MAINTAINX_API_URL", default_value = DEFAULT_BASE_URL)]
    pub base_url: String,
    /// Environment variable holding the API key (sent as a bearer token).
    #[arg(long, value_name = "VAR", default_value = API_KEY_ENV)]
    pub api_key_env: String,
}

#[derive(Debug, Subcommand)]
pub enum SubscriptionsCommand {
    /// List the webhooks (id, URL, events).
    List {
        #[command(flatten)]
        api: ApiArgs,
        /// A JSON array of {"id", "url", "events"}.
        #[arg(long)]
        json: bool,
    },
    /// Create a webhook that sends the given events to URL; prints its id.
    Create {
        #[command(flatten)]
        api: ApiArgs,
        /// Where MaintainX should send the events (e.g. a tunnel to hookscope's receiver).
        #[arg(long, value_name = "URL")]
        url: String,
        /// An event to subscribe to, e.g. workorder.created (repeatable, or comma-separated).
        #[arg(long = "event", value_name = "EVENT", required = true, value_delimiter = ',')]
        events: Vec<String>,
        /// The new webhook as a JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Delete a webhook by id.
    Delete {
        #[command(flatten)]
        api: ApiArgs,
        id: String,
    },
}

fn config(api: &ApiArgs) -> Result<ApiConfig, CliError> {
    let key = match std::env::var(&api.api_key_env) {
        Ok(key) => key,
        Err(std::env::VarError::NotUnicode(_)) => {
            return Err(CliError::usage(format!(
                "the MaintainX API key in ${} is not valid text (UTF-8); an API key is",
                api.api_key_env
            )));
        }
        Err(std::env::VarError::NotPresent) => String::new(),
    };
    if key.trim().is_empty() {
        return Err(CliError::usage(format!(
            "set the MaintainX API key in ${} (or name another variable with --api-key-env)",
            api.api_key_env
        )));
    }
    let cfg = ApiConfig {
        base_url: api.base_url.clone(),
        api_key: Secret::new(key),
    };
    // A base URL that cannot be used is a usage error (exit 2), found before anything is sent.
    cfg.check_base_url().map_err(|e| CliError::usage(e.0))?;
    Ok(cfg)
}

/// One webhook, one line: what the API sent is escaped, never interpreted by the terminal.
fn line(s: &Subscription) -> String {
    format!(
        "{:<12} {:<48} {}",
        escape_controls(&s.id, false),
        escape_controls(&s.url, false),
        escape_controls(&s.events.join(","), false)
    )
}

pub fn run(command: &SubscriptionsCommand) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    match command {
        SubscriptionsCommand::List { api, json } => {
            let cfg = config(api)?;
            let listed = rt.block_on(list(&cfg))?;
            let subs = &listed.webhooks;
            if *json {
                outln!("{}", serde_json::to_string(subs)?);
            } else if subs.is_empty() {
                outln!("no webhooks");
            } else {
                outln!("{:<12} {:<48} EVENTS", "ID", "URL");
                for s in subs {
                    outln!("{}", line(s));
                }
            }
            if let Some(note) = listed.unreadable_note() {
                eprintln!("hookscope: warning: {note}");
            }
        }
        SubscriptionsCommand::Create {
            api,
            url,
            events,
            json,
        } => {
            let cfg = config(api)?;
            let events: Vec<String> = events
                .iter()
                .map(|e| e.trim().to_string())
                .filter(|e| !e.is_empty())
                .collect();
            let created = rt.block_on(create(&cfg, url, &events))?;
            if *json {
                outln!("{}", serde_json::to_string(&created)?);
            } else {
                outln!("{}", escape_controls(&created.id, false));
            }
        }
        SubscriptionsCommand::Delete { api, id } => {
            let cfg = config(api)?;
            rt.block_on(delete(&cfg, id))?;
            eprintln!("hookscope: webhook {id} deleted");
        }
    }
    Ok(ExitCode::SUCCESS)
}
