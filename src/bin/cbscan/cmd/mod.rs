//! One module per subcommand, each running from the resolved configuration.

pub mod codes;
pub mod explain;
pub mod follow;
pub mod report;
pub mod run;
pub mod scan;
