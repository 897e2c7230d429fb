//! Instructions counted by valgrind's callgrind: a program started under it, its counters zeroed
//! and dumped around exactly the work measured, and the functions that cost the most. Counts of
//! instructions, unlike seconds, repeat from run to run whatever else the machine is doing.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Whether valgrind and its `callgrind_control` are installed.
pub(crate) fn installed() -> bool {
    ["valgrind", "callgrind_control"].into_iter().all(|tool| {
        Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    })
}

/// The command that runs `program` under callgrind (and the processes it forks, each counted
/// apart), its counts written under `dir`. Arguments for `program` go after it.
pub(crate) fn command(program: &Path, dir: &Path) -> Command {
    let mut command = Command::new("valgrind");
    command
        .args(["--tool=callgrind", "--trace-children=yes", "--quiet"])
        .arg(format!(
            "--callgrind-out-file={}",
            dir.join("callgrind.%p").display()
        ))
        .arg(program);
    command
}

/// Zeroes the counters of the processes `pids`.
pub(crate) fn zero(pids: &[u32]) {
    for pid in pids {
        control("-z", *pid);
    }
}

/// Dumps the counters of the processes `pids` (what each ran since it was last zeroed or
/// dumped) and returns the dump files.
pub(crate) fn dump(pids: &[u32], dir: &Path) -> Vec<PathBuf> {
    pids.iter()
        .map(|pid| {
            control("-d", *pid);
            newest_dump(dir, *pid)
                .unwrap_or_else(|| panic!("callgrind wrote no dump for process {pid}"))
        })
        .collect()
}

/// The instructions a dump counted.
pub(crate) fn instructions(dump: &Path) -> u64 {
    let text = std::fs::read_to_string(dump).expect("a callgrind dump");
    text.lines()
        .find_map(|line| line.strip_prefix("summary:"))
        .and_then(|count| count.trim().parse().ok())
        .unwrap_or_else(|| panic!("no summary in {}", dump.display()))
}

/// The `count` functions of a dump that ran the most instructions themselves, as
/// `callgrind_annotate` prints them (count, share, function).
pub(crate) fn top_functions(dump: &Path, count: usize) -> Vec<String> {
    functions(dump).into_iter().take(count).collect()
}

/// The instructions that functions whose name contains `name` ran themselves.
pub(crate) fn instructions_in(dump: &Path, name: &str) -> u64 {
    functions(dump)
        .iter()
        .filter(|line| line.contains(name))
        .filter_map(|line| line.split_whitespace().next())
        .filter_map(|count| count.replace(',', "").parse::<u64>().ok())
        .sum()
}

/// Every function of a dump with the instructions it ran itself, most first, as
/// `callgrind_annotate` prints them.
fn functions(dump: &Path) -> Vec<String> {
    let output = Command::new("callgrind_annotate")
        .args(["--inclusive=no", "--threshold=100"])
        .arg(dump)
        .output()
        .expect("run callgrind_annotate");
    let text = String::from_utf8_lossy(&output.stdout);
    // The table of functions follows the line of the file's totals ("… PROGRAM TOTALS"). A
    // dump taken while the program runs also lists the functions it was inside of (the
    // threads' entry points) with every instruction as their own: not theirs, left out.
    text.lines()
        .skip_while(|line| !line.contains("PROGRAM TOTALS"))
        .skip(1)
        .filter(|line| line.contains('(') && !line.contains("(100.0%)"))
        .map(|line| line.trim().to_owned())
        .collect()
}

/// Sends `callgrind_control` the `option` for the process `pid` and waits (at most a minute)
/// for its answer.
fn control(option: &str, pid: u32) {
    let mut child = Command::new("callgrind_control")
        .arg(option)
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run callgrind_control");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for callgrind_control") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("callgrind_control {option} {pid} did not answer within a minute");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut errors = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        let _ = stderr.read_to_string(&mut errors);
    }
    assert!(
        status.success(),
        "callgrind_control {option} {pid} failed: {}",
        errors.trim()
    );
}

/// The latest numbered dump of the process `pid` under `dir` (`callgrind.<pid>.<n>`).
fn newest_dump(dir: &Path, pid: u32) -> Option<PathBuf> {
    let prefix = format!("callgrind.{pid}.");
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let number: u32 = name.strip_prefix(&prefix)?.parse().ok()?;
            Some((number, entry.path()))
        })
        .max_by_key(|(number, _)| *number)
        .map(|(_, path)| path)
}
