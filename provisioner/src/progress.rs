//! One line per step: a spinner with the step's name and elapsed time, then ✓ and what
//! happened, or ✗ and the error.

use std::future::Future;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// Shows steps on stderr: spinners on a terminal, plain lines otherwise, nothing when quiet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Spinners (stderr is a terminal).
    Spinner,
    /// One line per finished step (logs, CI, tests).
    Lines,
    /// Nothing.
    Quiet,
}

impl Progress {
    /// Spinners on a terminal, plain lines otherwise.
    pub fn for_stderr() -> Self {
        if std::io::stderr().is_terminal() {
            Progress::Spinner
        } else {
            Progress::Lines
        }
    }

    /// Runs `work` as the step `name`. What it did (`created`, `unchanged`, ...) is shown
    /// after the ✓; its value is returned.
    pub async fn step<R, E, Fut>(&self, name: &str, work: Fut) -> Result<R::Value, E>
    where
        Fut: Future<Output = Result<R, E>>,
        R: Report,
        E: std::fmt::Display,
    {
        let started = Instant::now();
        let bar = match self {
            Progress::Spinner => {
                let bar = ProgressBar::new_spinner();
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.set_message(name.to_owned());
                bar.enable_steady_tick(Duration::from_millis(100));
                Some(bar)
            }
            _ => None,
        };
        let result = work.await.map(Report::split);
        let elapsed = format_elapsed(started.elapsed());
        let line = match &result {
            Ok((_, note)) => format!("✓ {name}: {note} ({elapsed})"),
            Err(e) => format!("✗ {name} ({elapsed}): {e}"),
        };
        match (bar, self) {
            (Some(bar), _) => {
                // The spinner's template would add the elapsed time again: plain line.
                if let Ok(plain) = ProgressStyle::with_template("{msg}") {
                    bar.set_style(plain);
                }
                bar.finish_with_message(line);
            }
            (None, Progress::Lines) => {
                let _ = writeln!(std::io::stderr(), "{line}");
            }
            _ => {}
        }
        result.map(|(v, _)| v)
    }
}

/// A step's result: the value later steps need, and a note of what happened.
pub trait Report {
    /// The value.
    type Value;
    /// The value and the note.
    fn split(self) -> (Self::Value, String);
}

impl<T> Report for crate::deploy::Done<T> {
    type Value = T;
    fn split(self) -> (T, String) {
        (self.value, self.change.to_string())
    }
}

fn format_elapsed(d: Duration) -> String {
    if d < Duration::from_secs(60) {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        format!("{}m{:02}s", d.as_secs() / 60, d.as_secs() % 60)
    }
}
