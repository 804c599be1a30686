//! hookscope: a native desktop webhook inspector.
//!
//! The module tree is the architecture: `capture` (the model) and `body` (derived views) have
//! no IO; `store` owns `SQLite`; `server` is the axum receiver; `ui` is egui only; `app` (window)
//! and `cli` (headless) are thin front ends over `engine`.

pub mod app;
pub mod body;
pub mod capture;
pub mod cli;
pub mod engine;
pub mod events;
pub mod interchange;
pub mod send;
pub mod server;
pub mod signature;
pub mod store;
pub mod subscriptions;
pub mod ui;
