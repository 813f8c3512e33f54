//! What the user sees while the seeder works, on stderr: a progress bar on a terminal, a
//! plain line every few seconds otherwise; notes; and the `--reset` confirmation.

use std::io::{BufRead, IsTerminal, Write};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressState, ProgressStyle};

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// An animated bar (stderr is a terminal).
    Bar,
    /// A line every [`Console::LINE_EVERY`] and one at the end (stderr is a file or a pipe).
    Lines,
    /// Nothing (tests).
    Off,
}

/// The user's side of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Console {
    /// How progress is shown.
    pub progress: ProgressMode,
    /// Whether questions can be asked (stdin and stderr are a terminal).
    pub interactive: bool,
}

impl Console {
    /// How often a plain progress line is printed.
    pub const LINE_EVERY: Duration = Duration::from_secs(5);

    /// Bars and questions when on a terminal, plain lines otherwise.
    pub fn detect() -> Self {
        let terminal = std::io::stderr().is_terminal();
        Self {
            progress: if terminal {
                ProgressMode::Bar
            } else {
                ProgressMode::Lines
            },
            interactive: terminal && std::io::stdin().is_terminal(),
        }
    }

    /// No output and no questions.
    pub fn silent() -> Self {
        Self {
            progress: ProgressMode::Off,
            interactive: false,
        }
    }

    /// Prints a note for the user (not part of the summary).
    pub fn note(&self, text: &str) {
        if self.progress != ProgressMode::Off {
            eprintln!("seeder: {text}");
        }
    }

    /// Progress of an operation on items (`verb` names it, e.g. "writing"), `total` of
    /// them when known.
    pub fn progress(&self, verb: &'static str, total: Option<u64>) -> Progress {
        let shown = match self.progress {
            ProgressMode::Bar => Shown::Bar(bar(verb, total)),
            ProgressMode::Lines => Shown::Lines {
                last: Instant::now(),
            },
            ProgressMode::Off => Shown::Off,
        };
        Progress {
            verb,
            total,
            done: 0,
            started: Instant::now(),
            shown,
        }
    }

    /// Asks `question` on the terminal; true for "y" or "yes".
    pub async fn confirm(&self, question: String) -> std::io::Result<bool> {
        tokio::task::spawn_blocking(move || {
            let mut err = std::io::stderr().lock();
            write!(err, "{question} [y/N] ")?;
            err.flush()?;
            let mut answer = String::new();
            std::io::stdin().lock().read_line(&mut answer)?;
            Ok(is_yes(&answer))
        })
        .await
        .map_err(std::io::Error::other)?
    }
}

fn is_yes(answer: &str) -> bool {
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

fn bar(verb: &str, total: Option<u64>) -> ProgressBar {
    let (bar, template) = match total {
        Some(total) => (
            ProgressBar::new(total),
            "{prefix} [{bar:30}] {human_pos}/{human_len} items, {rate}, ETA {eta}",
        ),
        None => (
            ProgressBar::new_spinner(),
            "{prefix} {spinner} {human_pos} items, {rate}",
        ),
    };
    let style = ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key(
            "rate",
            |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                let _ = write!(out, "{:.0} items/s", state.per_sec());
            },
        )
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_prefix(verb.to_owned());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

#[derive(Debug)]
enum Shown {
    Bar(ProgressBar),
    Lines { last: Instant },
    Off,
}

/// Counts items as they are written and shows it.
#[derive(Debug)]
pub struct Progress {
    verb: &'static str,
    total: Option<u64>,
    done: u64,
    started: Instant,
    shown: Shown,
}

impl Progress {
    /// `items` more are done.
    pub fn add(&mut self, items: u64) {
        self.done += items;
        match &mut self.shown {
            Shown::Bar(bar) => bar.inc(items),
            Shown::Lines { last } if last.elapsed() >= Console::LINE_EVERY => {
                *last = Instant::now();
                eprintln!("seeder: {}", self.line());
            }
            _ => {}
        }
    }

    /// Items done so far.
    pub fn done(&self) -> u64 {
        self.done
    }

    /// Ends the display with a last line.
    pub fn finish(self) {
        match &self.shown {
            Shown::Bar(bar) => bar.finish_and_clear(),
            Shown::Lines { .. } => {}
            Shown::Off => return,
        }
        eprintln!("seeder: {}", self.line());
    }

    fn line(&self) -> String {
        let seconds = self.started.elapsed().as_secs_f64();
        let rate = per_second(self.done, seconds);
        match self.total {
            Some(total) if self.done < total => format!(
                "{}: {}/{} items ({:.0}%), {rate:.0} items/s",
                self.verb,
                self.done,
                total,
                100.0 * self.done as f64 / total.max(1) as f64
            ),
            _ => format!(
                "{}: {} items in {seconds:.1} s ({rate:.0} items/s)",
                self.verb, self.done
            ),
        }
    }
}

/// `items / seconds`, 0 when no time passed.
pub(crate) fn per_second(items: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        items as f64 / seconds
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_y_or_yes_confirms() {
        for yes in ["y", "Y", "yes", " YES \n"] {
            assert!(is_yes(yes), "{yes:?}");
        }
        for no in ["", "\n", "n", "no", "yep", "y es"] {
            assert!(!is_yes(no), "{no:?}");
        }
    }

    #[test]
    fn a_progress_line_says_how_far_and_how_fast() {
        let mut progress = Console {
            progress: ProgressMode::Off,
            interactive: false,
        }
        .progress("writing", Some(200));
        progress.add(50);
        assert!(
            progress.line().starts_with("writing: 50/200 items (25%), "),
            "{}",
            progress.line()
        );
        progress.add(150);
        assert!(
            progress.line().starts_with("writing: 200 items in "),
            "{}",
            progress.line()
        );
        assert_eq!(progress.done(), 200);
    }
}
