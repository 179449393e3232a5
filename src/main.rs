//! The `cbscan` binary: command-line parsing ([`cli`]), running the subcommands and choosing
//! exit codes ([`app`]), and terminal concerns ([`terminal`]). The engine is the library.

mod app;
mod cli;
mod terminal;

fn main() {
    std::process::exit(app::main());
}
