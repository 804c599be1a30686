//! What eframe saves between runs. Nothing secret ever goes here.

use std::net::{IpAddr, Ipv4Addr};

use serde::{Deserialize, Serialize};

use crate::capture::sort::ListSort;
use crate::server::{DEFAULT_MAX_BODY_BYTES, DEFAULT_PORT};

/// eframe storage key.
pub const SETTINGS_KEY: &str = "hookscope.settings";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum ThemeChoice {
    #[default]
    Dark,
    Light,
}

/// Where the detail pane sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum DetailLayout {
    #[default]
    Right,
    Bottom,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub port: u16,
    pub bind: IpAddr,
    pub max_body_bytes: usize,
    pub theme: ThemeChoice,
    pub layout: DetailLayout,
    pub follow_tail: bool,
    /// The request list's order.
    pub list_sort: ListSort,
    /// Start the receiver when the window opens.
    pub listen_on_start: bool,
    /// Retention: keep the newest N captures.
    pub keep_count: Option<u64>,
    /// Retention: keep captures of the last D days.
    pub keep_days: Option<u32>,
    /// Retention: keep the database under B bytes.
    pub keep_bytes: Option<u64>,
    /// Target URLs of replays, forward mode and test events (no secrets).
    pub sending: super::sending::SendSettings,
    /// The MaintainX API for the subscriptions window (its key is never saved).
    pub maintainx_api_url: String,
}

impl Settings {
    pub fn retention_policy(&self) -> crate::store::retention::RetentionPolicy {
        crate::store::retention::RetentionPolicy {
            keep_count: self.keep_count,
            keep_days: self.keep_days,
            keep_bytes: self.keep_bytes,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            port: DEFAULT_PORT,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            theme: ThemeChoice::Dark,
            layout: DetailLayout::Right,
            follow_tail: true,
            list_sort: ListSort::ARRIVAL,
            listen_on_start: true,
            keep_count: None,
            keep_days: None,
            keep_bytes: None,
            sending: super::sending::SendSettings::default(),
            maintainx_api_url: crate::subscriptions::DEFAULT_BASE_URL.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_or_partial_settings_fill_in_defaults() {
        let s: Settings = serde_json::from_str(r#"{"port": 9000, "unknown": 1}"#).unwrap();
        assert_eq!(s.port, 9000);
        assert_eq!(s.max_body_bytes, DEFAULT_MAX_BODY_BYTES);
        assert!(s.follow_tail);
        assert_eq!(s.list_sort, ListSort::ARRIVAL);
    }

    #[test]
    fn the_list_order_round_trips() {
        let s = Settings {
            list_sort: ListSort {
                key: crate::capture::sort::SortKey::Verdict,
                descending: true,
            },
            ..Settings::default()
        };
        let json = serde_json::to_string(&s).unwrap();
        assert!(
            json.contains(r#""list_sort":{"key":"verdict","descending":true}"#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<Settings>(&json).unwrap(), s);
    }
}
