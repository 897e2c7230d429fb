//! Any text as a session token: verified or refused, never a panic.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    finhub_core::fuzzing::session_token(data);
});
