//! The core shared by the window and the headless CLI: the store, its writer thread and the
//! receiver's state.

use std::path::Path;

use crate::server::ReceiverState;
use crate::store::maintenance::{Maintenance, MaintenanceHandle};
use crate::store::retention::RetentionPolicy;
use crate::store::{LiveAnalyzer, Store, StoreError, Writer, WriterHandle};

/// Store + writer (+ the background maintenance thread) for one data dir.
pub struct Engine {
    store: Store,
    writer: Writer,
    /// Retention, search indexing, compaction; stopped before the writer.
    maintenance: Option<Maintenance>,
}

impl Engine {
    /// Open (or create) the database in `data_dir` and start its writer thread.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        let store = Store::open(data_dir)?;
        let analyzer = LiveAnalyzer::load(&store.connect_ro()?)?;
        let writer = Writer::start(&store, Box::new(analyzer))?;
        let maintenance = Maintenance::start(&store, writer.handle(), RetentionPolicy::default())?;
        Ok(Engine {
            store,
            writer,
            maintenance: Some(maintenance),
        })
    }

    /// Retention policy and background compaction.
    pub fn maintenance(&self) -> MaintenanceHandle {
        self.maintenance
            .as_ref()
            .map(Maintenance::handle)
            .unwrap_or_default()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn writer(&self) -> WriterHandle {
        self.writer.handle()
    }

    pub fn receiver_state(&self, max_body_bytes: usize) -> ReceiverState {
        ReceiverState::new(self.writer.handle(), max_body_bytes)
    }

    /// Commit what is queued and stop the writer. Call outside the async runtime.
    pub fn shutdown(mut self) {
        if let Some(m) = self.maintenance.take() {
            m.stop();
        }
        self.writer.shutdown();
    }
}

/// The multi-threaded runtime the receiver and outgoing requests run on.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("hookscope-rt")
        .build()
}
