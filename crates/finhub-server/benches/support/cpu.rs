//! CPU time as Linux accounts it: a process's (user and system), each of its threads' (summed
//! by the kind of work the thread's name says it does) and the whole machine's busy time, so a
//! benchmark can say where the CPU a request costs went.

use std::collections::BTreeMap;
use std::time::Duration;

/// Clock ticks per second in `/proc/<pid>/stat` and `/proc/stat`, as Linux reports them to user
/// space.
const TICKS_PER_SECOND: f64 = 100.0;

/// CPU time, in user space and in the kernel (in whatever unit the caller says).
#[derive(Debug, Clone, Copy)]
pub(crate) struct CpuTime {
    pub(crate) user: f64,
    pub(crate) system: f64,
}

impl CpuTime {
    pub(crate) fn total(self) -> f64 {
        self.user + self.system
    }

    pub(crate) fn minus(self, earlier: Self) -> Self {
        Self {
            user: self.user - earlier.user,
            system: self.system - earlier.system,
        }
    }

    pub(crate) fn scaled(self, factor: f64) -> Self {
        Self {
            user: self.user * factor,
            system: self.system * factor,
        }
    }
}

/// The CPU time (in seconds) the processes `pids` have spent so far, from `/proc/<pid>/stat`.
pub(crate) fn of_processes(pids: &[u32]) -> CpuTime {
    let (user, system) = pids
        .iter()
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // The fields after the command name (which may hold spaces) in parentheses:
            // `utime` and `stime` are the 12th and 13th of them.
            let (_, fields) = stat.rsplit_once(')')?;
            let mut fields = fields.split_whitespace().skip(11);
            let user: u64 = fields.next()?.parse().ok()?;
            let system: u64 = fields.next()?.parse().ok()?;
            Some((user, system))
        })
        .fold((0, 0), |(user, system), (u, s)| (user + u, system + s));
    CpuTime {
        user: user as f64 / TICKS_PER_SECOND,
        system: system as f64 / TICKS_PER_SECOND,
    }
}

/// The time every core of the machine has spent busy so far (anything but idle, waiting for
/// I/O, and time the hypervisor gave to other machines), from `/proc/stat`.
pub(crate) fn machine_busy() -> Duration {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    // `cpu  user nice system idle iowait irq softirq steal guest guest_nice`; guest time is
    // already counted in user.
    let ticks: u64 = stat
        .lines()
        .find_map(|line| line.strip_prefix("cpu "))
        .map(|fields| {
            fields
                .split_whitespace()
                .take(7)
                .enumerate()
                .filter(|(index, _)| !matches!(index, 3 | 4))
                .filter_map(|(_, ticks)| ticks.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    Duration::from_secs_f64(ticks as f64 / TICKS_PER_SECOND)
}

/// This process's threads' CPU time so far, each under its kind (`kind` maps a thread's name to
/// it), from the scheduler's own nanosecond count (`/proc/self/task/<tid>/schedstat`).
#[derive(Debug, Default)]
pub(crate) struct Threads(BTreeMap<u32, (&'static str, Duration)>);

impl Threads {
    pub(crate) fn read(kind: impl Fn(&str) -> &'static str) -> Self {
        let mut threads = BTreeMap::new();
        let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
            return Self(threads);
        };
        for task in tasks.flatten() {
            let path = task.path();
            let (Some(tid), Ok(name), Ok(schedstat)) = (
                task.file_name().to_str().and_then(|tid| tid.parse().ok()),
                std::fs::read_to_string(path.join("comm")),
                std::fs::read_to_string(path.join("schedstat")),
            ) else {
                continue;
            };
            // `<ns on a CPU> <ns waiting to run> <time slices>`.
            if let Some(on_cpu) = schedstat
                .split_whitespace()
                .next()
                .and_then(|ns| ns.parse::<u64>().ok())
            {
                threads.insert(tid, (kind(name.trim()), Duration::from_nanos(on_cpu)));
            }
        }
        Self(threads)
    }

    /// What each kind of thread spent since `earlier`: a thread that has started since counts
    /// from zero, one that has ended is left out (an ending thread can still be listed when
    /// `earlier` was read, with the time it spent before).
    pub(crate) fn since(&self, earlier: &Self) -> BTreeMap<&'static str, Duration> {
        let mut kinds = BTreeMap::new();
        for (tid, &(kind, time)) in &self.0 {
            let before = earlier.0.get(tid).map_or(Duration::ZERO, |&(_, time)| time);
            *kinds.entry(kind).or_default() += time.saturating_sub(before);
        }
        kinds
    }
}
