//! A data request's GET parameters and POST body, parsed and planned by the emulator.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    finra_emulator::fuzzing::data_request(data);
});
