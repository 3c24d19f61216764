//! Progress bars for the long steps (row counts, value sampling): drawn
//! only when stderr is a terminal, nothing at all when it is piped.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// A bar of `len` steps labelled `message` (set the step's name with `set_message`), hidden unless stderr is a
/// terminal.
pub fn bar(len: usize, message: &'static str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(u64::try_from(len).unwrap_or(u64::MAX)).with_prefix(message);
    if let Ok(style) = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg}") {
        bar.set_style(style);
    }
    bar
}
