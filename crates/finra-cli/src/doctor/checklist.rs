//! The doctor's report: sections of ✓ / ✗ / ! / · lines written to stdout as the checks run,
//! explanations indented under failures, and a summary that decides the exit code.

use std::io::{Stdout, Write};
use std::process::ExitCode;

use super::explain::Explanation;

/// Width long lines are wrapped at.
const WIDTH: usize = 100;

/// A report being written.
#[derive(Debug)]
pub(crate) struct Checklist {
    out: Stdout,
    passed: usize,
    warnings: usize,
    problems: Vec<String>,
}

impl Checklist {
    pub(crate) fn new() -> Self {
        Self {
            out: std::io::stdout(),
            passed: 0,
            warnings: 0,
            problems: Vec::new(),
        }
    }

    fn line(&mut self, text: &str) {
        let mut out = self.out.lock();
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
    }

    /// A line under no mark (the heading).
    pub(crate) fn plain(&mut self, text: &str) {
        self.line(text);
    }

    /// A section heading.
    pub(crate) fn section(&mut self, title: &str) {
        self.line("");
        self.line(title);
    }

    fn marked(&mut self, mark: &str, text: &str) {
        for line in wrap(text, &format!("  {mark} "), "    ") {
            self.line(&line);
        }
    }

    /// A check that passed.
    pub(crate) fn pass(&mut self, text: &str) {
        self.passed += 1;
        self.marked("✓", text);
    }

    /// Something worth knowing that is not a failure.
    pub(crate) fn warn(&mut self, text: &str) {
        self.warnings += 1;
        self.marked("!", text);
    }

    /// Information.
    pub(crate) fn info(&mut self, text: &str) {
        self.marked("·", text);
    }

    /// A check that was not run.
    pub(crate) fn skip(&mut self, text: &str) {
        self.marked("–", text);
    }

    /// Details under the previous line.
    pub(crate) fn detail(&mut self, text: &str) {
        for line in wrap(text, "      ", "      ") {
            self.line(&line);
        }
    }

    /// A failed check: `summary` goes into the final list, `text` and the explanation here.
    pub(crate) fn fail(&mut self, summary: &str, text: &str, explanation: &Explanation) {
        self.problems.push(summary.to_owned());
        self.marked("✗", text);
        for why in &explanation.why {
            for line in wrap(why, "      why: ", "           ") {
                self.line(&line);
            }
        }
        for fix in &explanation.fix {
            for line in wrap(fix, "      fix: ", "           ") {
                self.line(&line);
            }
        }
        if !explanation.chain.is_empty() {
            self.line("      error chain:");
            for (depth, cause) in explanation.chain.iter().enumerate() {
                let arrow = if depth == 0 { "" } else { "← " };
                self.line(&format!("        {arrow}{cause}"));
            }
        }
    }

    /// The summary; the exit code is 1 when anything failed.
    pub(crate) fn finish(mut self) -> ExitCode {
        self.section("Summary");
        let code = if self.problems.is_empty() {
            let warnings = match self.warnings {
                0 => String::new(),
                1 => " (1 note marked !)".to_owned(),
                n => format!(" ({n} notes marked !)"),
            };
            self.marked("✓", &format!("all {} checks passed{warnings}", self.passed));
            ExitCode::SUCCESS
        } else {
            let count = self.problems.len();
            let plural = if count == 1 { "" } else { "s" };
            let passed = match self.passed {
                1 => "1 check passed".to_owned(),
                n => format!("{n} checks passed"),
            };
            self.marked("✗", &format!("{count} problem{plural} ({passed}):"));
            for problem in std::mem::take(&mut self.problems) {
                for line in wrap(&problem, "      - ", "        ") {
                    self.line(&line);
                }
            }
            ExitCode::from(1)
        };
        self.line("");
        self.line(
            "This report holds no secret (credentials are described, never shown; tokens only as a \
             preview): it can be pasted into a support request.",
        );
        code
    }
}

/// `text` wrapped at [`WIDTH`], the first line after `first`, the others after `rest`.
fn wrap(text: &str, first: &str, rest: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = first.to_owned();
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && current.chars().count() + 1 + word.chars().count() > WIDTH {
            lines.push(std::mem::replace(&mut current, rest.to_owned()));
            empty = true;
        }
        if !empty {
            current.push(' ');
        }
        current.push_str(word);
        empty = false;
    }
    lines.push(current);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_wrap_with_hanging_indent() {
        let text = "word ".repeat(40);
        let lines = wrap(&text, "  ✓ ", "    ");
        assert!(lines.len() > 1);
        assert!(lines[0].starts_with("  ✓ word"));
        assert!(lines[1].starts_with("    word"));
        assert!(lines.iter().all(|l| l.chars().count() <= WIDTH));
        // A word longer than the width stays whole.
        let long = "x".repeat(150);
        assert_eq!(wrap(&long, "· ", "  "), vec![format!("· {long}")]);
    }
}
