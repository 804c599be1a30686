//! Freeing big values off the UI thread. A highlighted 10 MiB body is a million lines, each with
//! its colour spans, and the capture behind it holds the body itself: dropping them took a whole
//! frame (15–27 ms measured in `benches/window.rs`). What the window lets go of (the selected
//! capture, its prepared views) is handed to a background thread to free instead.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::SyncSender;

type Garbage = Box<dyn Send>;

static BIN: OnceLock<Option<SyncSender<Garbage>>> = OnceLock::new();

/// Values waiting to be freed; past this many, a value is dropped where it was retired.
const QUEUE: usize = 64;

/// Values handed to the background thread so far (tests check that the window retires what it
/// lets go of).
static RETIRED: AtomicUsize = AtomicUsize::new(0);

/// How many values were handed to the background thread since the process started.
pub fn retired() -> usize {
    RETIRED.load(Ordering::Relaxed)
}

/// Name of the thread that frees retired values.
pub const THREAD_NAME: &str = "ui-free";

/// Drop `value` on the background [`THREAD_NAME`] thread (here, when that thread could not be
/// started, or while [`QUEUE`] values are still waiting). Never blocks.
pub fn retire<T: Send + 'static>(value: T) {
    let bin = BIN.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Garbage>(QUEUE);
        std::thread::Builder::new()
            .name(THREAD_NAME.into())
            .spawn(move || {
                for garbage in rx {
                    drop(garbage);
                }
            })
            .ok()
            .map(|_| tx)
    });
    match bin {
        // A failed send hands the value back inside the error, which drops it here.
        Some(tx) => {
            if tx.try_send(Box::new(value)).is_ok() {
                RETIRED.fetch_add(1, Ordering::Relaxed);
            }
        }
        None => drop(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tells which thread dropped it.
    struct Witness(std::sync::mpsc::SyncSender<Option<String>>);

    impl Drop for Witness {
        fn drop(&mut self) {
            let _ = self.0.send(std::thread::current().name().map(str::to_owned));
        }
    }

    #[test]
    fn retired_values_are_dropped_on_the_background_thread() {
        let (tx, rx) = std::sync::mpsc::sync_channel(6);
        let here = std::thread::current().name().map(str::to_owned);
        for _ in 0..3 {
            retire(vec![Witness(tx.clone()), Witness(tx.clone())]);
        }
        for _ in 0..6 {
            let dropped_on = rx
                .recv_timeout(std::time::Duration::from_secs(10))
                .expect("dropped within 10 s");
            assert_eq!(dropped_on.as_deref(), Some(THREAD_NAME));
            assert_ne!(dropped_on, here);
        }
    }
}
