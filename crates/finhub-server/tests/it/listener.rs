//! Over a real loopback connection, where the transport matters: the peer address comes from the
//! socket, duplicated headers arrive as two lines, oversized headers meet hyper's limits before
//! the router's, slow and idle connections are closed by the configured time limits (on tokio's
//! paused clock, moved by hand), the connection cap holds, and only HTTP/1.1 is spoken.

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{Builder, TENANT, TestApp, advance, settle, until};

/// Where a served app listens.
struct Served {
    base: String,
}

/// The app built by `builder`, served on an ephemeral loopback port until dropped.
async fn serve(builder: Builder) -> (TestApp, Served) {
    let app = builder.serve().build().await;
    let base = format!("http://{}", app.addr.expect("a served app"));
    (app, Served { base })
}

fn login(client: &reqwest::Client, served: &Served, body: &Value) -> reqwest::RequestBuilder {
    client
        .post(format!("{}/v1/auth/token", served.base))
        .header("content-type", "application/json")
        .header("sec-ch-ua-platform", "\"Linux\"")
        .header("x-forwarded-for", "203.0.113.5")
        .header("user-agent", "finhub-tests")
        .header("x-tenant-id", TENANT)
        .body(body.to_string())
}

#[tokio::test]
async fn a_real_connection_logs_in_and_uses_its_session() {
    let (app, served) = serve(TestApp::builder().allow_list(&["127.0.0.1"])).await;
    let client = reqwest::Client::new();
    let reply = login(&client, &served, &app.client_body())
        .send()
        .await
        .expect("send");
    assert_eq!(
        reply.status(),
        StatusCode::OK,
        "the socket's peer is on the allow-list"
    );
    assert!(reply.headers().contains_key("x-request-id"));
    let body: Value = reply.json().await.expect("json");
    let token = body["userSessionToken"].as_str().expect("token");
    let session = client
        .get(format!("{}/v1/auth/session", served.base))
        .bearer_auth(token)
        .send()
        .await
        .expect("send");
    assert_eq!(session.status(), StatusCode::OK);
}

#[tokio::test]
async fn headers_repeated_on_the_wire_are_refused() {
    let (app, served) = serve(TestApp::builder()).await;
    let client = reqwest::Client::new();
    for name in ["x-tenant-id", "user-agent", "content-type"] {
        let value = if name == "x-tenant-id" {
            TENANT
        } else {
            "application/json"
        };
        let reply = login(&client, &served, &app.client_body())
            .header(name, value)
            .send()
            .await
            .expect("send");
        assert_eq!(reply.status(), StatusCode::BAD_REQUEST, "{name}");
        let body: Value = reply.json().await.expect("json");
        assert_eq!(body["error"], "invalid_request");
    }
}

/// Headers over the hub's 16 KiB get the envelope; headers over hyper's own limits (more than
/// 100 of them, or more than its read buffer of about 400 KiB) are refused by hyper before the
/// router runs: a bare 431 without the envelope or a request id.
#[tokio::test]
async fn oversized_headers_meet_the_hubs_limit_and_then_hypers() {
    let (_app, served) = serve(TestApp::builder()).await;
    let client = reqwest::Client::new();
    let health = format!("{}/healthz", served.base);

    let reply = client
        .get(&health)
        .header("x-padding", "p".repeat(20 * 1024))
        .send()
        .await
        .expect("send");
    assert_eq!(reply.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    let body: Value = reply.json().await.expect("the envelope");
    assert_eq!(body["error"], "invalid_request");

    let mut many = client.get(&health);
    for idx in 0..150 {
        many = many.header(format!("x-h{idx}"), "v");
    }
    let reply = many.send().await.expect("send");
    assert_eq!(reply.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    assert!(
        !reply.headers().contains_key("x-request-id"),
        "hyper answered"
    );

    let huge = client
        .get(&health)
        .header("x-padding", "p".repeat(1024 * 1024))
        .send()
        .await;
    // hyper answers 431 and closes; a client still writing may see the reset instead.
    if let Ok(reply) = huge {
        assert_eq!(reply.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        assert!(
            !reply.headers().contains_key("x-request-id"),
            "hyper answered"
        );
    }
}

/// A raw connection to a served hub.
struct Raw(tokio::net::TcpStream);

impl Raw {
    async fn open(served: &Served) -> Self {
        let addr = served.base.trim_start_matches("http://");
        Self(tokio::net::TcpStream::connect(addr).await.expect("connect"))
    }

    /// Writes `bytes` and lets the hub read them before the test moves time on.
    async fn send(&mut self, bytes: &[u8]) {
        use tokio::io::AsyncWriteExt;
        self.0.write_all(bytes).await.expect("write");
        settle().await;
    }

    /// Whether the hub has closed the connection (an end of stream or a reset), after letting
    /// every task that can run without time moving do so; bytes the hub sent are discarded.
    async fn is_closed(&mut self) -> bool {
        settle().await;
        let mut buf = [0_u8; 4096];
        loop {
            match self.0.try_read(&mut buf) {
                Ok(0) => return true,
                Ok(_) => {}
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => return false,
                Err(_) => return true,
            }
        }
    }

    /// Everything the hub sends until it closes the connection (bounded real time).
    async fn read_to_close(&mut self) -> Vec<u8> {
        let mut answer = Vec::new();
        let mut buf = [0_u8; 4096];
        let mut closed = false;
        until("the hub to close the connection", || {
            loop {
                match self.0.try_read(&mut buf) {
                    Ok(0) => closed = true,
                    Ok(n) => {
                        answer.extend_from_slice(&buf[..n]);
                        continue;
                    }
                    Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(_) => closed = true,
                }
                return closed;
            }
        })
        .await;
        answer
    }

    /// One complete answer (head and `Content-Length` body) on a kept-alive connection.
    async fn read_answer(&mut self) -> String {
        let mut answer = Vec::new();
        let mut buf = [0_u8; 4096];
        until("an answer", || {
            while let Ok(n) = self.0.try_read(&mut buf) {
                if n == 0 {
                    break;
                }
                answer.extend_from_slice(&buf[..n]);
            }
            complete_answer(&answer)
        })
        .await;
        String::from_utf8_lossy(&answer).into_owned()
    }
}

/// Whether `bytes` hold a whole answer: a head and as many body bytes as it announces.
fn complete_answer(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    body.len() >= length
}

const HEALTH: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: hub\r\n\r\n";

#[tokio::test(start_paused = true)]
async fn slow_and_idle_connections_are_closed_by_the_limits_while_logins_still_answer() {
    // Headers within 5 s of their first byte; 20 s idle at most.
    let (app, served) = serve(TestApp::builder().connection_limits(5, 20, 64)).await;

    let mut idle = Raw::open(&served).await;
    let mut slowloris = Raw::open(&served).await;
    slowloris
        .send(b"GET /healthz HTTP/1.1\r\nHost: hub\r\n")
        .await;
    let mut kept_alive = Raw::open(&served).await;
    kept_alive.send(HEALTH).await;
    assert!(kept_alive.read_answer().await.starts_with("HTTP/1.1 200 "));

    // A header line a second does not buy the slow client more time.
    for second in 1..=4 {
        advance(1).await;
        slowloris
            .send(format!("X-Trickle-{second}: {second}\r\n").as_bytes())
            .await;
        assert!(!slowloris.is_closed().await, "open after {second} s");
    }
    // Meanwhile a login on a new connection answers at once (no time passes).
    let client = reqwest::Client::new();
    let login = login(&client, &served, &app.client_body())
        .send()
        .await
        .expect("send");
    assert_eq!(login.status(), StatusCode::OK);

    advance(1).await;
    assert!(
        slowloris.is_closed().await,
        "headers not complete within 5 s"
    );
    assert!(!idle.is_closed().await, "idle for 5 s of 20");
    assert!(!kept_alive.is_closed().await, "idle for 5 s of 20");

    advance(14).await;
    assert!(!idle.is_closed().await, "idle for 19 s of 20");
    assert!(!kept_alive.is_closed().await, "idle for 19 s of 20");
    advance(1).await;
    assert!(idle.is_closed().await, "idle for 20 s");
    assert!(
        kept_alive.is_closed().await,
        "idle for 20 s after its answer"
    );
}

#[tokio::test(start_paused = true)]
async fn every_answer_starts_the_idle_limit_again() {
    let (_app, served) = serve(TestApp::builder().connection_limits(5, 20, 64)).await;
    let mut client = Raw::open(&served).await;
    for round in 1..=3 {
        client.send(HEALTH).await;
        assert!(client.read_answer().await.starts_with("HTTP/1.1 200 "));
        advance(15).await;
        assert!(!client.is_closed().await, "15 s after answer {round}");
    }
    advance(4).await;
    assert!(!client.is_closed().await, "19 s after the last answer");
    advance(1).await;
    assert!(client.is_closed().await, "20 s after the last answer");
}

#[tokio::test(start_paused = true)]
async fn a_request_in_flight_is_not_cut_by_the_idle_limit_and_a_stalled_body_gets_408() {
    let (_app, served) = serve(TestApp::builder().connection_limits(2, 3, 64)).await;
    let mut connection = Raw::open(&served).await;
    // The headers complete; 10 of 200 promised body bytes arrive, then nothing.
    let head = format!(
        "POST /v1/auth/token HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n\
         sec-ch-ua-platform: Linux\r\nX-Forwarded-For: 203.0.113.5\r\nUser-Agent: t\r\n\
         X-Tenant-ID: {TENANT}\r\nContent-Length: 200\r\n\r\n{{\"grantTyp"
    );
    connection.send(head.as_bytes()).await;
    // Past both connection limits: the request is being served, so they do not apply.
    advance(10).await;
    assert!(
        !connection.is_closed().await,
        "a request in flight is not idle"
    );
    // The request's own limit (30 s): the body stopped arriving, the caller's side.
    advance(20).await;
    let answer = connection.read_answer().await;
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or_default();
    let envelope: Value = serde_json::from_str(body).expect("the envelope");
    assert_eq!(envelope["error"], "request_timeout");
}

#[tokio::test(start_paused = true)]
async fn connections_past_the_cap_wait_until_one_closes() {
    let (_app, served) = serve(TestApp::builder().connection_limits(5, 20, 2)).await;
    let first = Raw::open(&served).await;
    let mut second = Raw::open(&served).await;
    second.send(HEALTH).await;
    assert!(second.read_answer().await.starts_with("HTTP/1.1 200 "));

    // The third connection is accepted by the kernel but not served while two are open.
    let mut third = Raw::open(&served).await;
    third.send(HEALTH).await;
    settle().await;
    let mut buf = [0_u8; 64];
    assert!(
        matches!(third.0.try_read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "not served past the cap"
    );
    drop(first);
    assert!(third.read_answer().await.starts_with("HTTP/1.1 200 "));
}

#[tokio::test(start_paused = true)]
async fn an_http2_connection_is_refused() {
    let (_app, served) = serve(TestApp::builder()).await;
    let mut connection = Raw::open(&served).await;
    // The HTTP/2 connection preface and an empty SETTINGS frame (prior knowledge, cleartext).
    connection.send(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").await;
    connection.send(&[0, 0, 0, 4, 0, 0, 0, 0, 0]).await;
    let answer = connection.read_to_close().await;
    assert!(
        answer.is_empty() || answer.starts_with(b"HTTP/1.1 "),
        "an HTTP/2 server would answer with a SETTINGS frame: {answer:?}"
    );
    // reqwest speaking HTTP/2 with prior knowledge gets no answer either.
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .expect("client");
    let refused = h2.get(format!("{}/healthz", served.base)).send().await;
    assert!(refused.is_err(), "{refused:?}");
}

#[tokio::test(start_paused = true)]
async fn header_sets_up_to_16_kib_are_read_and_larger_ones_get_431_in_the_envelope() {
    let (_app, served) = serve(TestApp::builder()).await;
    // Names and values count: `host` + `hub` and `x-padding` + the padding.
    let request = |total: usize| {
        let padding = "p".repeat(total - "host".len() - "hub".len() - "x-padding".len());
        format!("GET /healthz HTTP/1.1\r\nHost: hub\r\nX-Padding: {padding}\r\n\r\n")
    };
    let mut connection = Raw::open(&served).await;
    connection.send(request(16 * 1024).as_bytes()).await;
    let answer = connection.read_answer().await;
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    connection.send(request(17 * 1024).as_bytes()).await;
    let answer = connection.read_answer().await;
    assert!(answer.starts_with("HTTP/1.1 431 "), "{answer}");
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or_default();
    let envelope: Value = serde_json::from_str(body).expect("the envelope");
    assert_eq!(envelope["error"], "invalid_request");
}
