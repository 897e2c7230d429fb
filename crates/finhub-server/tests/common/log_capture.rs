//! Captures what a test's code logs (on the test's thread), so tests can assert that no
//! secret ever reaches a log line.

#![allow(dead_code, reason = "each test binary uses its own part")]

use std::io::Write;
use std::sync::{Arc, Mutex};

/// Log lines written on the test's thread (the runtime of `#[tokio::test]` is that thread).
#[derive(Debug, Clone, Default)]
pub(crate) struct LogCapture(Arc<Mutex<Vec<u8>>>);

struct CaptureWriter(Arc<Mutex<Vec<u8>>>);

impl Write for CaptureWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogCapture {
    /// Routes this thread's tracing output into the capture until the guard drops.
    pub(crate) fn install(&self) -> tracing::subscriber::DefaultGuard {
        let buffer = Arc::clone(&self.0);
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || CaptureWriter(Arc::clone(&buffer)))
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    /// Everything logged so far.
    pub(crate) fn text(&self) -> String {
        let bytes = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// How many times `message` was logged so far.
    pub(crate) fn count(&self, message: &str) -> usize {
        self.text().matches(message).count()
    }
}
