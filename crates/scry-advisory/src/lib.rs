//! The normalized advisory model every feed is turned into, and the naming rules of ecosystems.
//!
//! The model follows the OSV schema (<https://ossf.github.io/osv-schema/>) field for field, so an
//! OSV JSON or YAML record deserializes straight into [`Advisory`]. Feeds in other formats
//! (RustSec, Alpine secdb) are converted into it by `scry-feeds`. Enrichment data that is keyed by
//! CVE rather than by package (CISA KEV, EPSS, NVD) has its own types here.
//!
//! Architecture invariant: no I/O, no clock. Pure data and pure functions.

mod ecosystem;
mod enrich;
mod model;

pub use ecosystem::{normalize_name, Ecosystem};
pub use enrich::{EpssScore, KevEntry, NvdCve, NvdMetric};
pub use model::{
    Advisory, Affected, Credit, Event, Package, Range, RangeKind, Reference, Severity, SeverityKind,
};
