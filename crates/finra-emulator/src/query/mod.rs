//! The Query API's data engine: request parsing, validation, filtering, paging and rendering.

pub(crate) mod engine;
pub(crate) mod filter;
pub(crate) mod plan;
pub(crate) mod render;
pub(crate) mod request;
