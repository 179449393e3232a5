//! Report writers (filled in next).
