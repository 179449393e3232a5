//! Exit statuses, as grep has them: 0 nothing matched the failure policy, 1 a reported hit
//! did, 2 something went wrong (usage, an unreadable input, a bad catalog, a failed write).

use cbscan::policy::Verdict;

/// Nothing matched the failure policy.
pub const OK: i32 = 0;
/// A reported hit matched the failure policy.
pub const HITS: i32 = 1;
/// Something went wrong.
pub const ERROR: i32 = 2;

/// The exit status for a scan's verdict.
pub fn of(verdict: Verdict) -> i32 {
    match verdict {
        Verdict::Pass => OK,
        Verdict::Fail => HITS,
        Verdict::Error => ERROR,
    }
}
