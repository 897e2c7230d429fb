//! Tests of the `finra` binary: each runs the built executable in its own process, with a
//! cleared environment and a temporary working directory, against an in-process emulator.

mod asyncreq;
mod auth_check;
mod catalogue;
mod doctor;
mod hub;
mod query;
mod settings;
mod support;
mod traqs;
