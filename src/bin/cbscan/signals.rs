//! SIGINT and SIGTERM for the commands that run until stopped (`follow`, `run`, `scan` of a
//! live stdin): the first signal asks the command to stop, so that it can print its summary and
//! write its reports; a second Ctrl-C ends the process at once, as people expect when the
//! first one seems to do nothing.

use std::io;

pub use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// The exit status of a process ended by a second SIGINT (128 + SIGINT, as shells report it).
const INTERRUPTED: i32 = 128 + SIGINT;

/// Calls `stop` with the signal's number, on a thread of its own, when SIGINT or SIGTERM
/// arrives; later signals call it again, except a SIGINT after a SIGINT, which exits at once.
pub fn on_stop(stop: impl Fn(i32) + Send + 'static) -> io::Result<()> {
    let mut signals = Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let mut interrupted = false;
            for signal in signals.forever() {
                if signal == SIGINT && interrupted {
                    std::process::exit(INTERRUPTED);
                }
                interrupted |= signal == SIGINT;
                stop(signal);
            }
        })?;
    Ok(())
}

/// The name of signal `number`, for messages (`SIGKILL`), or its number.
pub fn name(number: i32) -> String {
    signal_hook::low_level::signal_name(number)
        .map_or_else(|| format!("signal {number}"), str::to_string)
}
