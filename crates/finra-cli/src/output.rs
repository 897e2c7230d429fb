//! Where rows go: standard output, or a file written atomically (a temporary file beside it,
//! renamed over it only when everything was written). Either way through one `BufWriter`, so
//! rows are written as they arrive and nothing accumulates.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::report::OutputError;
use crate::table::Table;

/// Buffer size of the output.
const BUFFER_BYTES: usize = 256 * 1024;

/// The output of one command.
#[derive(Debug)]
pub(crate) struct Output {
    writer: BufWriter<Sink>,
    pending: Option<PendingFile>,
}

#[derive(Debug)]
enum Sink {
    Stdout(io::Stdout),
    File(File),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Stdout(out) => out.write(buf),
            Self::File(file) => file.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Self::Stdout(out) => out.write_all(buf),
            Self::File(file) => file.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Stdout(out) => out.flush(),
            Self::File(file) => file.flush(),
        }
    }
}

/// A temporary file that becomes `target` on success and is removed otherwise.
#[derive(Debug)]
struct PendingFile {
    temp: PathBuf,
    target: PathBuf,
    done: bool,
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

impl Output {
    /// Standard output, or `path` (created or replaced when the command succeeds).
    pub(crate) fn create(path: Option<&Path>) -> anyhow::Result<Self> {
        let Some(target) = path else {
            return Ok(Self {
                writer: BufWriter::with_capacity(BUFFER_BYTES, Sink::Stdout(io::stdout())),
                pending: None,
            });
        };
        let file_name = target
            .file_name()
            .with_context(|| format!("--out {} is not a file name", target.display()))?;
        let dir = match target.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let temp = dir.join(format!(
            ".{}.{}-{:08x}.part",
            file_name.to_string_lossy(),
            std::process::id(),
            rand::random::<u32>()
        ));
        let file = File::create_new(&temp)
            .with_context(|| format!("cannot create {} next to --out", temp.display()))?;
        Ok(Self {
            writer: BufWriter::with_capacity(BUFFER_BYTES, Sink::File(file)),
            pending: Some(PendingFile {
                temp,
                target: target.to_path_buf(),
                done: false,
            }),
        })
    }

    /// Whether the output is standard output.
    pub(crate) fn is_stdout(&self) -> bool {
        self.pending.is_none()
    }

    /// Writes `bytes`.
    pub(crate) fn write(&mut self, bytes: &[u8]) -> Result<(), OutputError> {
        let stdout = self.is_stdout();
        self.writer
            .write_all(bytes)
            .map_err(|source| OutputError { source, stdout })
    }

    /// Writes `value` as pretty JSON and a newline.
    pub(crate) fn write_json(&mut self, value: &serde_json::Value) -> Result<(), OutputError> {
        let mut text = serde_json::to_vec_pretty(value).unwrap_or_default();
        text.push(b'\n');
        self.write(&text)
    }

    /// Writes a table.
    pub(crate) fn write_table(&mut self, table: &Table) -> Result<(), OutputError> {
        let mut text = Vec::new();
        let _ = table.write(&mut text);
        self.write(&text)
    }

    /// Flushes everything and, for a file, moves it into place.
    pub(crate) fn finish(self) -> anyhow::Result<()> {
        let stdout = self.is_stdout();
        let Self {
            writer,
            mut pending,
        } = self;
        let sink = writer.into_inner().map_err(|e| OutputError {
            source: e.into_error(),
            stdout,
        })?;
        match (sink, pending.as_mut()) {
            (Sink::Stdout(mut out), _) => {
                out.flush()
                    .map_err(|source| OutputError { source, stdout })?;
            }
            (Sink::File(file), Some(pending)) => {
                file.sync_all()
                    .map_err(|source| OutputError { source, stdout })?;
                drop(file);
                std::fs::rename(&pending.temp, &pending.target).with_context(|| {
                    format!("cannot move the output into {}", pending.target.display())
                })?;
                pending.done = true;
            }
            (Sink::File(_), None) => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "finra-cli-output-{}-{:08x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn files_appear_only_when_finished() {
        let dir = temp_dir();
        let target = dir.join("rows.ndjson");
        std::fs::write(&target, "old\n").expect("old file");

        let mut output = Output::create(Some(&target)).expect("created");
        output.write(b"new\n").expect("written");
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "old\n");
        output.finish().expect("finished");
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "new\n");

        let mut failed = Output::create(Some(&target)).expect("created");
        failed.write(b"partial").expect("written");
        drop(failed);
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "new\n");
        let left: Vec<_> = std::fs::read_dir(&dir).expect("dir").collect();
        assert_eq!(left.len(), 1, "no temporary file is left behind");
        std::fs::remove_dir_all(&dir).expect("cleaned up");
    }
}
