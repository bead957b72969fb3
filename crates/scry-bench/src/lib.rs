//! Benchmarks of Scry's own work, on real data, run by `scry bench`. Timings live here, not in
//! tests.

mod core;
mod mem;
mod server;

pub use crate::core::{core, CoreReport};
pub use crate::server::{server, ServerReport};
