//! Delivery history as stored and shown: deliveries and per-target summaries.

use serde::Serialize;

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Not sent yet.
    Pending,
    /// Failed at least once; the next retry is scheduled.
    Retrying,
    /// Answered 2xx.
    Delivered,
    /// Every attempt of the schedule failed.
    Failed,
    /// Stopped by the user before it succeeded.
    Cancelled,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Retrying => "retrying",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
            DeliveryState::Cancelled => "cancelled",
        }
    }

    /// For people: "permanently failed" rather than "failed".
    pub fn label(self) -> &'static str {
        match self {
            DeliveryState::Failed => "permanently failed",
            other => other.as_str(),
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "retrying" => DeliveryState::Retrying,
            "delivered" => DeliveryState::Delivered,
            "failed" => DeliveryState::Failed,
            "cancelled" => DeliveryState::Cancelled,
            _ => DeliveryState::Pending,
        }
    }

    pub fn is_final(self) -> bool {
        matches!(
            self,
            DeliveryState::Delivered | DeliveryState::Failed | DeliveryState::Cancelled
        )
    }
}

/// One stored delivery (a duplicate is its own delivery with the same `delivery_id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    /// Row id.
    pub id: i64,
    pub delivery_id: String,
    pub target: String,
    pub provider: Option<String>,
    pub event: Option<String>,
    pub created_at_us: i64,
    pub state: DeliveryState,
    pub attempts: u32,
    pub last_status: Option<u16>,
    pub finished_at_us: Option<i64>,
}

/// One target's columns, as provider dashboards show them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetSummary {
    pub target: String,
    /// Distinct `provider:event` names sent there.
    pub events: Vec<String>,
    pub deliveries: u64,
    pub last_fired_us: Option<i64>,
    /// Finished deliveries of the last 24 h that were delivered, 0–100; `None` when none finished.
    pub success_rate_24h: Option<f64>,
}
