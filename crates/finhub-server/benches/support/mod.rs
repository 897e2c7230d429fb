//! What the hub's benchmarks share.

#![allow(dead_code, reason = "each benchmark uses its own part")]

pub(crate) mod callgrind;
pub(crate) mod cpu;
pub(crate) mod machine;
pub(crate) mod oidc_provider;
pub(crate) mod rounds;
pub(crate) mod seed;
pub(crate) mod wrk;
