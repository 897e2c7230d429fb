//! The machine a benchmark runs on, printed first so that its figures are read against it: the
//! same code measures differently on a CPU with another cache, or without SHA extensions; and
//! the `/proc` fields in KiB the benchmarks read.

use std::path::Path;

/// What the benchmarks' figures depend on, read from `/proc` and `/sys` (Linux); parts that
/// cannot be read are left out.
#[derive(Debug, Default)]
pub(crate) struct Machine {
    /// The CPU's model name.
    model: Option<String>,
    /// The cores this process may run on.
    cores: usize,
    /// The first core's caches: level, kind (`d`, `i` or none for unified) and bytes.
    caches: Vec<(u8, &'static str, u64)>,
    /// The CPU features some figures turn on (SHA-256 in hardware, vector widths).
    features: Vec<&'static str>,
    /// Memory, in bytes.
    memory: Option<u64>,
}

/// The features worth naming, as `/proc/cpuinfo` spells them.
const FEATURES: [&str; 3] = ["sha_ni", "avx2", "avx512f"];

impl Machine {
    /// This machine.
    pub(crate) fn read() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let field = |name: &str| {
            cpuinfo
                .lines()
                .filter_map(|line| line.split_once(':'))
                .find(|(key, _)| key.trim() == name)
                .map(|(_, value)| value.trim().to_owned())
        };
        let flags = field("flags").unwrap_or_default();
        let memory = kib_field("/proc/meminfo", "MemTotal").map(|kib| kib * 1024);
        Self {
            model: field("model name"),
            cores: std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
            caches: caches(Path::new("/sys/devices/system/cpu/cpu0/cache")),
            features: FEATURES
                .into_iter()
                .filter(|feature| flags.split_whitespace().any(|flag| flag == *feature))
                .collect(),
            memory,
        }
    }

    /// The largest cache's size (the last level, which the cores share), if known.
    pub(crate) fn last_level_cache(&self) -> Option<u64> {
        self.caches.iter().map(|&(_, _, bytes)| bytes).max()
    }

    /// One line: model, cores, caches, features and memory.
    pub(crate) fn describe(&self) -> String {
        let mut parts = vec![self.model.clone().unwrap_or_else(|| "unknown CPU".into())];
        parts.push(format!("{} cores", self.cores));
        if !self.caches.is_empty() {
            let caches: Vec<String> = self
                .caches
                .iter()
                .map(|(level, kind, bytes)| format!("L{level}{kind} {}", size(*bytes)))
                .collect();
            parts.push(caches.join(", "));
        }
        if self.features.is_empty() {
            parts.push(format!("none of {}", FEATURES.join(", ")));
        } else {
            parts.push(self.features.join(" "));
        }
        if let Some(memory) = self.memory {
            parts.push(format!("{} memory", size(memory)));
        }
        parts.join("; ")
    }
}

/// The caches `dir` (a core's `cache` directory) lists, smallest level first.
fn caches(dir: &Path) -> Vec<(u8, &'static str, u64)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let read = |index: &Path, name: &str| {
        std::fs::read_to_string(index.join(name))
            .map(|text| text.trim().to_owned())
            .ok()
    };
    let mut caches: Vec<(u8, &'static str, u64)> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("index"))
        })
        .filter_map(|index| {
            let level = read(&index, "level")?.parse().ok()?;
            let kind = match read(&index, "type")?.as_str() {
                "Data" => "d",
                "Instruction" => "i",
                _ => "",
            };
            let bytes = parse_size(&read(&index, "size")?)?;
            Some((level, kind, bytes))
        })
        .collect();
    caches.sort_unstable();
    caches
}

/// A size as `/sys` writes it: `32K`, `1024K`, `32M`.
fn parse_size(text: &str) -> Option<u64> {
    let (digits, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit())?);
    let value: u64 = digits.parse().ok()?;
    match unit {
        "K" => Some(value * 1024),
        "M" => Some(value * 1024 * 1024),
        "G" => Some(value * 1024 * 1024 * 1024),
        _ => None,
    }
}

/// `bytes` in KiB, MiB or GiB, whichever reads best.
pub(crate) fn size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    match bytes {
        b if b >= KIB * KIB * KIB => format!("{:.0} GiB", b as f64 / (KIB * KIB * KIB) as f64),
        b if b >= KIB * KIB => format!("{:.0} MiB", b as f64 / (KIB * KIB) as f64),
        b => format!("{} KiB", b / KIB),
    }
}

/// A `Name:   123 kB` field of a `/proc` file (`/proc/meminfo`, `/proc/<pid>/status`), in KiB.
pub(crate) fn kib_field(file: &str, name: &str) -> Option<u64> {
    std::fs::read_to_string(file)
        .ok()?
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}
