//! `cbscan follow`.

use cbscan::catalog::Catalog;

use crate::args::FollowArgs;

pub fn run(_catalog: &Catalog, _args: FollowArgs, _threads: usize) -> anyhow::Result<i32> {
    anyhow::bail!("cbscan follow is not built yet")
}
