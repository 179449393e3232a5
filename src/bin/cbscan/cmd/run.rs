//! `cbscan run`.

use cbscan::catalog::Catalog;

use crate::args::RunArgs;

pub fn run(_catalog: &Catalog, _args: RunArgs, _threads: usize) -> anyhow::Result<i32> {
    anyhow::bail!("cbscan run is not built yet")
}
