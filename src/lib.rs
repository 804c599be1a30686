//! hookscope: a native desktop webhook inspector.
//!
//! The module tree is the architecture: `capture` (the model) has no IO; `store` owns SQLite;
//! `server` is the axum receiver; `cli` and `app` are thin front ends over `engine`.

pub mod capture;
pub mod cli;
pub mod engine;
pub mod server;
pub mod store;
