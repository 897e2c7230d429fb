//! Entry point for the fuzz targets (feature `fuzzing`): a data request as the emulator parses
//! and plans it — GET query parameters, then a POST body — against a small generated dataset.
//! Whatever the input, the answer is a plan or FINRA's 400 message, never a panic.

use std::sync::LazyLock;

use crate::config::Scale;
use crate::data::catalogue::Catalogue;
use crate::query::plan::plan;
use crate::query::request::DataRequest;

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| Catalogue::generate(7, Scale::Small));

/// `data`: the GET query string, a line feed, then a POST body (either may be empty). Both are
/// planned against every dataset, as JSON and as CSV.
pub fn data_request(data: &[u8]) {
    let (query, body) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let requests = [
        std::str::from_utf8(query)
            .ok()
            .map(|query| DataRequest::from_query(Some(query))),
        Some(DataRequest::from_json(body)),
    ];
    for request in requests.into_iter().flatten().flatten() {
        for dataset in CATALOGUE.iter() {
            for wants_json in [true, false] {
                let _ = plan(dataset, &request, wants_json, 5_000);
            }
        }
    }
}
