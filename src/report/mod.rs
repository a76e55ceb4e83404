//! Report writers: pure functions from a finished [`crate::record::RunRecord`]
//! to text. Nothing here touches the network, processes or files.
