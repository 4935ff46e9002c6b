//! Guidance content for rasso: national practice as searchable, role-aware pages, shown where it
//! applies.
//!
//! - [`model`]: pages, signposts, roles, stages, and who may read what ([`Viewer`]).
//! - [`loader`]: reads the national content embedded in the binary and any extra content folders
//!   (a force's local pages and contacts), and validates them together ([`Loader`]).
//! - [`search`]: SQLite FTS5 full-text search with bm25 ranking ([`SearchIndex`]).
//! - [`library`]: the loaded content and what applies to a case ([`Library::in_context`]).
//! - [`render`]: pages as terminal text.
//!
//! Restricted pages (police personnel only) are filtered out for anyone who is not police by every
//! read path: [`Library::page`], [`Library::pages`], [`Library::in_context`] and search.

pub mod library;
pub mod loader;
pub mod model;
pub mod render;
pub mod search;

pub use library::{CaseFacts, InContext, Library, stage_of};
pub use loader::{LoadError, Loader, Problem, Report, Severity};
pub use model::{Origin, Page, Role, Signpost, Source, Stage, Viewer, When};
pub use search::{Hit, SearchError, SearchIndex, SearchQuery};

/// The national content shipped in this binary, validated (errors fail; warnings are returned).
pub fn national() -> Result<(Library, Report), LoadError> {
    Loader::new().add_embedded().load_strict()
}
