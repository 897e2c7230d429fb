//! A token request's headers and body through the hub's checks before any credential work.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    finhub_server::http::fuzzing::token_request(data);
});
