//! One of FINRA's answers through every parser finra-client has for it.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    finra_client::fuzzing::response(data);
});
