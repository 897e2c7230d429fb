//! The progress bar of downloads: rows, rows/s and the expected total, on stderr, only when
//! stderr is a terminal (and not `--quiet`). It reads the library's [`Progress`] counters from
//! a ticker task, so the write loop never waits on drawing.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use finra_client::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use tokio::task::JoinHandle;

/// How often the bar is updated.
const TICK: Duration = Duration::from_millis(100);

/// The rows a command will write, given the library's expected count (already past any
/// `--offset`) and the command's `--limit`.
pub(crate) fn rows_to_write(expected: u64, cap: Option<u64>) -> u64 {
    cap.map_or(expected, |cap| cap.min(expected))
}

/// A running progress display (or none).
#[derive(Debug)]
pub(crate) struct ProgressDisplay {
    bar: Option<(ProgressBar, JoinHandle<()>)>,
    started: Instant,
}

/// Whether progress bars are drawn: stderr is a terminal and `--quiet` is off.
pub(crate) fn wanted(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal()
}

impl ProgressDisplay {
    /// Starts showing `progress` when `enabled`.
    pub(crate) fn start(progress: Progress, cap: Option<u64>, enabled: bool) -> Self {
        let started = Instant::now();
        if !enabled {
            return Self { bar: None, started };
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(spinner_style());
        bar.enable_steady_tick(Duration::from_millis(120));
        let ticker = tokio::spawn({
            let bar = bar.clone();
            async move {
                let mut length_known = false;
                loop {
                    if !length_known && let Some(total) = progress.expected_rows() {
                        bar.set_length(rows_to_write(total, cap));
                        bar.set_style(bar_style());
                        length_known = true;
                    }
                    bar.set_position(progress.rows());
                    tokio::time::sleep(TICK).await;
                }
            }
        });
        Self {
            bar: Some((bar, ticker)),
            started,
        }
    }

    /// Starts a spinner with a message (async requests: nothing to count while waiting).
    pub(crate) fn spinner(message: String, enabled: bool) -> Self {
        let started = Instant::now();
        if !enabled {
            return Self { bar: None, started };
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(message);
        bar.enable_steady_tick(Duration::from_millis(120));
        let ticker = tokio::spawn(std::future::pending::<()>());
        Self {
            bar: Some((bar, ticker)),
            started,
        }
    }

    /// A note on stderr above the bar (or plain, without one); nothing with `--quiet`.
    pub(crate) fn note(&self, global: &crate::settings::GlobalArgs, text: &str) {
        match &self.bar {
            Some((bar, _)) if global.notes() => bar.println(format!("note: {text}")),
            _ => global.note(text),
        }
    }

    /// Changes the spinner's message.
    pub(crate) fn set_message(&self, message: String) {
        if let Some((bar, _)) = &self.bar {
            bar.set_message(message);
        }
    }

    /// Removes the bar and, when it was shown, prints a one-line summary.
    pub(crate) fn finish(self, rows: Option<u64>, destination: &str) {
        let Some((bar, ticker)) = self.bar else {
            return;
        };
        ticker.abort();
        bar.finish_and_clear();
        let elapsed = self.started.elapsed();
        if let Some(rows) = rows {
            let rate = rows as f64 / elapsed.as_secs_f64().max(1e-3);
            let _ = std::io::Write::write_fmt(
                &mut std::io::stderr().lock(),
                format_args!(
                    "{rows} rows written to {destination} in {:.1} s ({rate:.0} rows/s)\n",
                    elapsed.as_secs_f64()
                ),
            );
        }
    }

    /// Removes the bar without a summary (the command failed).
    pub(crate) fn abandon(self) {
        if let Some((bar, ticker)) = self.bar {
            ticker.abort();
            bar.finish_and_clear();
        }
    }
}

fn rate(state: &ProgressState, w: &mut dyn std::fmt::Write) {
    let _ = write!(w, "{:.0} rows/s", state.per_sec());
}

fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} [{elapsed_precise}] {human_pos} rows ({rate})")
        .map(|style| style.with_key("rate", rate))
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} rows ({rate}, eta {eta})",
    )
    .map(|style| style.with_key("rate", rate))
    .unwrap_or_else(|_| ProgressStyle::default_bar())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expected_total_respects_the_limit() {
        assert_eq!(rows_to_write(10_000, None), 10_000);
        assert_eq!(rows_to_write(10_000, Some(5_000)), 5_000);
        assert_eq!(rows_to_write(900, Some(5_000)), 900);
    }
}
