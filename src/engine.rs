//! The core shared by the window and the headless CLI: the store, its writer thread and the
//! receiver's state.

use std::path::Path;

use crate::server::ReceiverState;
use crate::store::{LiveAnalyzer, Store, StoreError, Writer, WriterHandle};

/// Store + writer for one data dir.
pub struct Engine {
    store: Store,
    writer: Writer,
}

impl Engine {
    /// Open (or create) the database in `data_dir` and start its writer thread.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        let store = Store::open(data_dir)?;
        let analyzer = LiveAnalyzer::load(&store.connect_ro()?)?;
        let writer = Writer::start(&store, Box::new(analyzer))?;
        Ok(Engine { store, writer })
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
    pub fn shutdown(self) {
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
