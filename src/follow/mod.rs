//! Following live inputs: files by name with `tail -F` semantics ([`Follower`]), and a
//! command's output ([`command`]). Both scan bytes as they arrive with [`live::LiveScan`] and
//! hand hits to the same sinks as `scan`.

pub mod command;
pub mod live;
