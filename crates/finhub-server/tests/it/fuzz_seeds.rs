//! The fuzz targets' seed corpora (`fuzz/seeds/<target>/`), run through the same entry points
//! the targets call, as plain tests: every seed — and every input a fuzzing run found and kept
//! as a regression seed — must go through without a panic. `UPDATE_FUZZ_SEEDS=1` writes the
//! generated seeds again from what the tests send and receive.

use std::path::{Path, PathBuf};

/// A fuzz target's entry point.
type Entry = fn(&[u8]);

/// Named seeds of one target.
type Seeds = Vec<(&'static str, Vec<u8>)>;

/// Each target and its entry point.
const TARGETS: [(&str, Entry); 4] = [
    ("session_token", finhub_core::fuzzing::session_token),
    ("token_request", finhub_server::http::fuzzing::token_request),
    ("finra_response", finra_client::fuzzing::response),
    ("emulator_query", finra_emulator::fuzzing::data_request),
];

fn seeds_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/seeds")
        .join(target)
}

#[test]
fn every_seed_runs_through_its_target_without_a_panic() {
    if std::env::var_os("UPDATE_FUZZ_SEEDS").is_some() {
        write_generated_seeds();
    }
    for (target, entry) in TARGETS {
        let dir = seeds_dir(target);
        let mut seeds = 0;
        for file in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = file.expect("a directory entry").path();
            let data = std::fs::read(&path).expect("a seed");
            entry(&data);
            seeds += 1;
        }
        assert!(seeds >= 4, "{target} has {seeds} seeds");
    }
}

/// Seeds from the shapes the tests use: a valid session token and broken ones, the login
/// bodies of the three grants with their headers, FINRA's answers (JSON and CSV pages, token
/// answers, error bodies), and data requests in both forms.
fn write_generated_seeds() {
    let token = finhub_core::fuzzing::valid_token();
    let mut tampered = token.clone();
    tampered.pop();
    tampered.push('A');
    let headers = "Content-Type: application/json\nsec-ch-ua-platform: \"Linux\"\n\
                   X-Forwarded-For: 127.0.0.1\nUser-Agent: finhub-tests\nX-Tenant-ID: 1234567\n\n";
    let http = |status: u16, head: &str, body: &str| {
        let mut bytes = status.to_be_bytes().to_vec();
        bytes.extend_from_slice(head.as_bytes());
        bytes.extend_from_slice(b"\n\n");
        bytes.extend_from_slice(body.as_bytes());
        bytes
    };
    let seeds: [(&str, Seeds); 4] = [
        (
            "session_token",
            vec![
                ("valid", token.clone().into_bytes()),
                ("tampered", tampered.into_bytes()),
                ("alg-none", b"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.".to_vec()),
                ("not-a-jwt", b"Bearer nonsense".to_vec()),
            ],
        ),
        (
            "token_request",
            vec![
                (
                    "client-credentials",
                    format!("{headers}{{\"grantType\":\"client_credentials\",\"customerId\":\"cus_1\",\"customerSecret\":\"fhcs_x\",\"accountType\":\"b2b\"}}").into_bytes(),
                ),
                (
                    "password-with-otp",
                    format!("{headers}{{\"grantType\":\"password\",\"username\":\"alice\",\"password\":\"pw\",\"otp\":\"123456\",\"customerId\":\"cus_1\",\"customerSecret\":\"fhcs_x\",\"accountType\":\"b2c\"}}").into_bytes(),
                ),
                (
                    "refresh-token",
                    format!("{headers}{{\"grantType\":\"refresh_token\",\"refreshToken\":\"fhrt_x\",\"customerId\":\"cus_1\",\"customerSecret\":\"fhcs_x\",\"accountType\":\"b2b\"}}").into_bytes(),
                ),
                (
                    "duplicate-keys",
                    format!("{headers}{{\"grantType\":\"password\",\"grantType\":\"client_credentials\"}}").into_bytes(),
                ),
                ("no-headers", b"\n\n{}".to_vec()),
            ],
        ),
        (
            "finra_response",
            vec![
                (
                    "json-page",
                    http(200, "Content-Type: application/json\nRecord-Total: 2\nRecord-Offset: 0\nRecord-Limit: 2\nRecord-Max-Limit: 5000", "[{\"a\":1,\"b\":\"x\"},{\"a\":2,\"b\":null}]"),
                ),
                (
                    "csv-page",
                    http(200, "Content-Type: text/plain\nRecord-Total: 2", "\"a\",\"b\"\n1,\"x\"\n2,\"y, z\"\n"),
                ),
                (
                    "token",
                    http(200, "Content-Type: application/json", "{\"access_token\":\"t\",\"token_type\":\"Bearer\",\"expires_in\":\"1799\",\"scope\":\"x\"}"),
                ),
                (
                    "bad-credentials",
                    http(400, "Content-Type: application/json", "{\"error\":\"invalid_client\",\"error_message\":\"Invalid Credentials\"}"),
                ),
                (
                    "rate-limited",
                    http(429, "Retry-After: 3", "{\"message\":\"Too Many Requests\",\"statusCode\":429}"),
                ),
                (
                    "not-entitled",
                    http(403, "Content-Type: application/json", "{\"message\":\"basic API credential cannot be used to access X dataset\"}"),
                ),
            ],
        ),
        (
            "emulator_query",
            vec![
                ("get", b"limit=10&offset=0&fields=weekStartDate,issueSymbolIdentifier&sortFields=-weekStartDate\n".to_vec()),
                (
                    "post-filters",
                    b"\n{\"limit\":5,\"compareFilters\":[{\"fieldName\":\"tierIdentifier\",\"fieldValue\":\"T1\",\"compareType\":\"EQUAL\"}],\"dateRangeFilters\":[{\"fieldName\":\"weekStartDate\",\"startDate\":\"2024-01-01\",\"endDate\":\"2024-02-01\"}]}".to_vec(),
                ),
                (
                    "post-domain-or",
                    b"\n{\"domainFilters\":[{\"fieldName\":\"tierIdentifier\",\"values\":[\"T1\",\"T2\"]}],\"orFilters\":[{\"compareFilters\":[{\"fieldName\":\"totalWeeklyShareQuantity\",\"fieldValue\":100,\"compareType\":\"GREATER\"}]}]}".to_vec(),
                ),
                ("csv-options", b"delimiter=%7C&quoteValues=false&async=true\n".to_vec()),
            ],
        ),
    ];
    for (target, files) in seeds {
        let dir = seeds_dir(target);
        std::fs::create_dir_all(&dir).expect("the seeds directory");
        for (name, data) in files {
            std::fs::write(dir.join(name), data).expect("write a seed");
        }
    }
}
