//! Cutting the inputs into units of work: runs of consecutive small files, streams alone, and
//! chunks of large files. Workers take units in order; the emitter hands their results on in
//! the same order.

use std::ops::Range;
use std::sync::Arc;

use super::positional::{ChunkSource, SharedInput};
use super::ScanOptions;
use crate::input::{Listed, Source};
use crate::limits::{MAX_CHUNKS_PER_FILE, RUN_BYTES, RUN_FILES};

pub(crate) enum UnitKind {
    /// Consecutive sources, each read from start to end as a stream.
    Run { sources: Range<usize> },
    /// A source of unknown size (stdin, a pipe, a reader), read as it arrives.
    Stream { source: usize },
    /// One chunk of a large input.
    Chunk {
        source: usize,
        input: Arc<SharedInput>,
        /// See `positional`: the chunk covers the lines starting after the first `\n` at or
        /// after `nominal.start - 1`.
        nominal: Range<u64>,
        /// Whether this is the input's first chunk (the one that reads a compressed input).
        first: bool,
        /// Whether this is the input's last chunk (the one that closes it).
        last: bool,
    },
}

pub(crate) struct Unit {
    pub kind: UnitKind,
    /// Bytes this unit covers, as far as known (for progress).
    pub bytes: u64,
}

impl Unit {
    /// Whether the unit is read only when the emitter is waiting for it: a stream of unknown
    /// size is, so that a live stdin never sits in a worker that could scan files meanwhile.
    pub fn waits_for_its_turn(&self) -> bool {
        matches!(self.kind, UnitKind::Stream { .. })
    }
}

/// Cuts the sources into units.
pub(crate) fn plan_units(sources: &[Source], options: &ScanOptions) -> Vec<Unit> {
    let large = |size: u64| size >= options.chunk_min && size > 0;
    let mut plan = Planner::default();
    for (index, source) in sources.iter().enumerate() {
        match source {
            // Reads nothing; reported in order by the run that holds it.
            Source::Failed(_) => plan.small(index, 0),
            Source::Stdin | Source::Reader { .. } | Source::File { size: None, .. } => {
                plan.stream(index)
            }
            Source::Bytes { data, name } if large(data.len() as u64) => plan.chunks(
                index,
                ChunkSource::Bytes(Arc::clone(data)),
                name,
                data.len() as u64,
                options.chunk_size,
            ),
            Source::Bytes { data, .. } => plan.small(index, data.len() as u64),
            Source::File {
                path,
                name,
                size: Some(size),
                id,
            } => {
                if large(*size) {
                    let input = ChunkSource::File {
                        path: path.clone(),
                        listed: Listed {
                            size: *size,
                            id: *id,
                        },
                    };
                    plan.chunks(index, input, name, *size, options.chunk_size);
                } else {
                    plan.small(index, *size);
                }
            }
        }
    }
    plan.finish(sources.len())
}

/// Builds the unit list, gathering consecutive small sources into runs.
#[derive(Default)]
struct Planner {
    units: Vec<Unit>,
    /// The run being gathered: its first source and its bytes so far.
    run: Option<(usize, u64)>,
}

impl Planner {
    fn small(&mut self, index: usize, size: u64) {
        let (start, bytes) = self.run.unwrap_or((index, 0));
        let bytes = bytes + size;
        self.run = Some((start, bytes));
        if bytes >= RUN_BYTES || index + 1 - start >= RUN_FILES {
            self.close_run(index + 1);
        }
    }

    fn stream(&mut self, index: usize) {
        self.close_run(index);
        self.units.push(Unit {
            kind: UnitKind::Stream { source: index },
            bytes: 0,
        });
    }

    fn chunks(
        &mut self,
        index: usize,
        source: ChunkSource,
        name: &str,
        size: u64,
        chunk_size: usize,
    ) {
        self.close_run(index);
        // Chunks grow past the asked size rather than number more than the cap.
        let chunk_size = (chunk_size.max(1) as u64).max(size.div_ceil(MAX_CHUNKS_PER_FILE));
        let count = size.div_ceil(chunk_size).max(1);
        let input = Arc::new(SharedInput::new(source, name.to_string(), count));
        for i in 0..count {
            let nominal = i * chunk_size..(i + 1) * chunk_size;
            let last = i + 1 == count;
            self.units.push(Unit {
                bytes: nominal.end.min(size) - nominal.start,
                kind: UnitKind::Chunk {
                    source: index,
                    input: Arc::clone(&input),
                    // The last chunk reads to the end: the size the file had when listed.
                    nominal: nominal.start..if last { u64::MAX } else { nominal.end },
                    first: i == 0,
                    last,
                },
            });
        }
    }

    fn close_run(&mut self, end: usize) {
        if let Some((start, bytes)) = self.run.take() {
            self.units.push(Unit {
                kind: UnitKind::Run {
                    sources: start..end,
                },
                bytes,
            });
        }
    }

    fn finish(mut self, sources: usize) -> Vec<Unit> {
        self.close_run(sources);
        self.units
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_file_at_a_tiny_chunk_size_plans_at_most_the_cap() {
        let sources = vec![Source::File {
            path: "huge.log".into(),
            name: "huge.log".into(),
            size: Some(1 << 40),
            id: None,
        }];
        let options = ScanOptions {
            chunk_min: 1,
            chunk_size: 0,
            ..ScanOptions::default()
        };
        let units = plan_units(&sources, &options);
        assert_eq!(units.len() as u64, MAX_CHUNKS_PER_FILE);
        let covered: u64 = units.iter().map(|u| u.bytes).sum();
        assert_eq!(covered, 1 << 40);
    }
}
