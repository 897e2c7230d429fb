//! The shared limits in Redis: the GCRA step's arithmetic on a clock the test moves, admissions
//! counted exactly across two instances racing, reservations for the pacer, and what a caller
//! sees when Redis is away (a bounded error, never a hang) or has forgotten the script.

use std::sync::Arc;
use std::time::{Duration, Instant};

use finhub_clock::{ManualClock, SharedClock};
use finhub_core::shared_limits::{Admission, Gcra, LimitKey, SharedLimitError, SharedLimits};
use finhub_store::testing::{OwnRedisServer, redis_test_prefix, redis_url};
use finhub_store::{RedisLimits, RedisOptions};

use crate::support::NOW;

const HOUR: Duration = Duration::from_secs(3_600);

fn limits_at(url: &str, prefix: &str, clock: &Arc<ManualClock>) -> RedisLimits {
    let options = RedisOptions {
        key_prefix: prefix.to_owned(),
        timeout: Duration::from_millis(500),
        ..RedisOptions::default()
    };
    let clock: SharedClock = clock.clone();
    RedisLimits::new(url, options)
        .expect("a valid URL")
        .with_clock(clock)
}

/// One decision that may not wait.
async fn at_once(limits: &RedisLimits, key: &LimitKey, limit: Gcra) -> Admission {
    limits
        .admit(&[(key, limit)], Duration::ZERO)
        .await
        .expect("redis answers")
}

fn booked(after_ms: u64) -> Admission {
    Admission::Booked {
        after: Duration::from_millis(after_ms),
    }
}

#[tokio::test]
async fn a_key_gets_its_burst_then_is_refused_for_exactly_one_interval() {
    let clock = ManualClock::starting_at(NOW);
    let limits = limits_at(&redis_url(), &redis_test_prefix("burst"), &clock);
    let limit = Gcra::per_period(3, Duration::from_secs(3));
    let key = LimitKey::new("address", "192.0.2.1");

    for _ in 0..3 {
        assert_eq!(at_once(&limits, &key, limit).await, booked(0));
    }
    assert_eq!(
        at_once(&limits, &key, limit).await,
        Admission::Refused {
            retry_after: Duration::from_secs(1)
        }
    );
    let other = LimitKey::new("address", "192.0.2.2");
    assert_eq!(at_once(&limits, &other, limit).await, booked(0));

    clock.advance(Duration::from_millis(999));
    assert_eq!(
        at_once(&limits, &key, limit).await,
        Admission::Refused {
            retry_after: Duration::from_millis(1)
        }
    );
    clock.advance(Duration::from_millis(1));
    assert_eq!(at_once(&limits, &key, limit).await, booked(0));
    assert!(matches!(
        at_once(&limits, &key, limit).await,
        Admission::Refused { .. }
    ));
}

#[tokio::test]
async fn reservations_space_requests_one_interval_apart_after_the_burst() {
    let clock = ManualClock::starting_at(NOW);
    let limits = limits_at(&redis_url(), &redis_test_prefix("pacer"), &clock);
    let pacer = Gcra::per_second_with_reserve(20, 2);
    let key = LimitKey::named("pacer", "default");

    let mut starts = Vec::new();
    for _ in 0..21 {
        match limits.admit(&[(&key, pacer)], HOUR).await.expect("redis") {
            Admission::Booked { after } => starts.push(after.as_millis()),
            refused => panic!("a reservation within an hour is never refused: {refused:?}"),
        }
    }
    assert_eq!(starts[..18], [0; 18], "the burst starts at once");
    assert_eq!(starts[18..], [50, 100, 150], "then one every 50 ms");

    // A caller that will wait 120 ms at most gets nothing booked and hears when to come back.
    assert_eq!(
        limits
            .admit(&[(&key, pacer)], Duration::from_millis(120))
            .await
            .expect("redis"),
        Admission::Refused {
            retry_after: Duration::from_millis(80)
        }
    );
    assert_eq!(
        limits
            .admit(&[(&key, pacer)], Duration::from_millis(200))
            .await
            .expect("redis"),
        booked(200),
        "the refused call booked nothing"
    );
}

#[tokio::test]
async fn two_instances_racing_share_one_count() {
    let clock = ManualClock::starting_at(NOW);
    let prefix = redis_test_prefix("race");
    let instances = [
        Arc::new(limits_at(&redis_url(), &prefix, &clock)),
        Arc::new(limits_at(&redis_url(), &prefix, &clock)),
    ];
    let limit = Gcra::per_period(30, HOUR);
    let barrier = Arc::new(tokio::sync::Barrier::new(100));
    let calls: Vec<_> = (0..100)
        .map(|n| {
            let limits = Arc::clone(&instances[n % 2]);
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                barrier.wait().await;
                let key = LimitKey::new("customer", "tenant-a/app");
                at_once(&limits, &key, limit).await
            })
        })
        .collect();
    let mut admitted = 0;
    for call in calls {
        if matches!(call.await.expect("task"), Admission::Booked { .. }) {
            admitted += 1;
        }
    }
    assert_eq!(admitted, 30, "the limit, not twice it");
}

#[tokio::test]
async fn redis_own_clock_decides_when_no_clock_is_given() {
    let limits = RedisLimits::new(
        &redis_url(),
        RedisOptions {
            key_prefix: redis_test_prefix("server-clock"),
            ..RedisOptions::default()
        },
    )
    .expect("a valid URL");
    let limit = Gcra::per_period(1, HOUR);
    let key = LimitKey::new("session", "s");
    assert_eq!(at_once(&limits, &key, limit).await, booked(0));
    match at_once(&limits, &key, limit).await {
        Admission::Refused { retry_after } => {
            assert!(
                retry_after > HOUR - Duration::from_secs(60) && retry_after <= HOUR,
                "{retry_after:?}"
            );
        }
        booked => panic!("one per hour: {booked:?}"),
    }
    limits.ping().await.expect("Redis answers");
}

#[tokio::test]
async fn a_flushed_script_cache_is_reloaded_without_the_caller_noticing() {
    let server = OwnRedisServer::start();
    let clock = ManualClock::starting_at(NOW);
    let limits = limits_at(&server.url(), "flush", &clock);
    let limit = Gcra::per_period(10, HOUR);
    let key = LimitKey::new("address", "a");
    assert_eq!(at_once(&limits, &key, limit).await, booked(0));

    server.command(&["SCRIPT", "FLUSH"]).await;
    assert_eq!(
        limits
            .admit(&[(&key, limit)], Duration::ZERO)
            .await
            .expect("reloaded"),
        booked(0)
    );
}

#[tokio::test]
async fn redis_away_is_a_bounded_error_and_redis_back_is_used_again() {
    let mut server = OwnRedisServer::start();
    let clock = ManualClock::starting_at(NOW);
    let limits = limits_at(&server.url(), "cut", &clock);
    let limit = Gcra::per_period(2, HOUR);
    let key = LimitKey::new("address", "a");
    assert_eq!(at_once(&limits, &key, limit).await, booked(0));

    server.stop();
    for _ in 0..3 {
        let started = Instant::now();
        let error = limits
            .admit(&[(&key, limit)], Duration::ZERO)
            .await
            .expect_err("Redis is away");
        assert!(
            matches!(
                error,
                SharedLimitError::Unavailable(_) | SharedLimitError::TimedOut(_)
            ),
            "{error:?}"
        );
        assert!(
            !error.to_string().contains("redis://"),
            "no URL in errors: {error}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "bounded, not a hang"
        );
    }
    assert!(limits.ping().await.is_err());

    server.restart();
    // The manager reconnects in the background; the first calls after the restart may still
    // meet the old connection's failure. Bounded: a few attempts, a short pause between.
    let deadline = Instant::now() + Duration::from_secs(10);
    let admission = loop {
        match limits.admit(&[(&key, limit)], Duration::ZERO).await {
            Ok(admission) => break admission,
            Err(error) if Instant::now() < deadline => {
                tracing::debug!(%error, "Redis not back yet");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(error) => panic!("Redis is back but still refused: {error}"),
        }
    };
    assert_eq!(
        admission,
        booked(0),
        "a restarted Redis starts from empty counters"
    );
}

#[test]
fn a_malformed_url_is_refused_without_being_repeated() {
    let error = RedisLimits::new("redis://user:hunter2@[::1", RedisOptions::default())
        .expect_err("malformed");
    assert!(!error.to_string().contains("hunter2"), "{error}");
    let error =
        RedisLimits::new("http://127.0.0.1", RedisOptions::default()).expect_err("not redis");
    assert!(
        error.to_string().contains("redis://"),
        "says what is expected: {error}"
    );
}

#[tokio::test]
async fn a_redis_too_slow_to_answer_is_a_timeout_at_the_configured_limit() {
    let server = OwnRedisServer::start();
    let limits = RedisLimits::new(
        &server.url(),
        RedisOptions {
            key_prefix: "slow".into(),
            timeout: Duration::from_millis(100),
            ..RedisOptions::default()
        },
    )
    .expect("a valid URL");
    let limit = Gcra::per_period(10, HOUR);
    let key = LimitKey::new("address", "a");
    assert_eq!(at_once(&limits, &key, limit).await, booked(0));

    server.command(&["CLIENT", "PAUSE", "3000", "ALL"]).await;
    let started = Instant::now();
    let error = limits
        .admit(&[(&key, limit)], Duration::ZERO)
        .await
        .expect_err("Redis is paused");
    let waited = started.elapsed();
    assert!(
        matches!(error, SharedLimitError::TimedOut(limit) if limit == Duration::from_millis(100)),
        "{error:?}"
    );
    assert!(
        waited >= Duration::from_millis(100) && waited < Duration::from_secs(2),
        "{waited:?}"
    );
}

#[tokio::test]
async fn several_limits_book_together_or_not_at_all() {
    let clock = ManualClock::starting_at(NOW);
    let limits = limits_at(&redis_url(), &redis_test_prefix("joint"), &clock);
    let session = LimitKey::new("data_session", "s");
    let customer = LimitKey::new("data_customer", "c");
    let (per_session, per_customer) = (Gcra::per_period(5, HOUR), Gcra::per_period(2, HOUR));
    let both = [(&session, per_session), (&customer, per_customer)];
    for _ in 0..2 {
        assert_eq!(
            limits.admit(&both, Duration::ZERO).await.expect("redis"),
            booked(0)
        );
    }
    // The customer's limit is spent: refused, with the customer's wait, and the session's
    // count is not touched.
    assert_eq!(
        limits.admit(&both, Duration::ZERO).await.expect("redis"),
        Admission::Refused {
            retry_after: Duration::from_secs(1_800)
        }
    );
    for _ in 0..3 {
        assert_eq!(at_once(&limits, &session, per_session).await, booked(0));
    }
    assert!(matches!(
        at_once(&limits, &session, per_session).await,
        Admission::Refused { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admissions_that_arrive_together_go_in_one_call_and_are_decided_in_turn() {
    let server = OwnRedisServer::start();
    let clock = ManualClock::starting_at(NOW);
    let limits = Arc::new(limits_at(&server.url(), "batch", &clock));
    let (alone, shared, tight) = (
        LimitKey::new("address", "alone"),
        LimitKey::new("session", "shared"),
        LimitKey::new("customer", "tight"),
    );
    let (per_alone, per_shared, per_tight) = (
        Gcra::per_period(30, HOUR),
        Gcra::per_period(25, HOUR),
        Gcra::per_period(20, HOUR),
    );
    // Redis holds the first call while the other admissions arrive: they queue behind it and
    // go together in the next call.
    server.command(&["CLIENT", "PAUSE", "300", "ALL"]).await;
    let calls: Vec<_> = (0..120)
        .map(|n| {
            let limits = Arc::clone(&limits);
            let (alone, shared, tight) = (alone.clone(), shared.clone(), tight.clone());
            tokio::spawn(async move {
                let admission = if n % 2 == 0 {
                    limits.admit(&[(&alone, per_alone)], Duration::ZERO).await
                } else {
                    let both = [(&shared, per_shared), (&tight, per_tight)];
                    limits.admit(&both, Duration::ZERO).await
                };
                (n % 2, admission.expect("redis answers"))
            })
        })
        .collect();
    let mut admitted = [0, 0];
    for call in calls {
        let (kind, admission) = call.await.expect("task");
        if matches!(admission, Admission::Booked { .. }) {
            admitted[kind] += 1;
        }
    }
    assert_eq!(
        admitted,
        [30, 20],
        "each limit exactly, as if the calls came one by one"
    );
    // The joint admissions booked the shared key only when the tight one admitted them too:
    // five of its 25 are left.
    for _ in 0..5 {
        assert_eq!(at_once(&limits, &shared, per_shared).await, booked(0));
    }
    assert!(matches!(
        at_once(&limits, &shared, per_shared).await,
        Admission::Refused { .. }
    ));
    let stats = server.reply(&["INFO", "commandstats"]).await;
    let script_calls: u64 = stats
        .lines()
        .find_map(|line| line.strip_prefix("cmdstat_evalsha:calls="))
        .and_then(|rest| rest.split(',').next())
        .and_then(|calls| calls.parse().ok())
        .expect("EVALSHA was counted");
    // 126 admissions: the 120 that raced, the six after them one by one.
    assert!(
        script_calls <= 6 + 6,
        "{script_calls} script calls for 126 admissions"
    );
}

/// A CA and a certificate for 127.0.0.1 it issued, written into `dir`: (CA PEM, cert file, key
/// file).
fn tls_material(dir: &std::path::Path) -> (Vec<u8>, std::path::PathBuf, std::path::PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, SanType};
    let ca_key = KeyPair::generate().expect("a CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).expect("the CA");
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().expect("a server key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("server params");
    params.subject_alt_names = vec![SanType::IpAddress([127, 0, 0, 1].into())];
    let cert = params
        .signed_by(&key, &issuer)
        .expect("the server certificate");
    std::fs::create_dir_all(dir).expect("a directory");
    let (cert_file, key_file) = (dir.join("redis.pem"), dir.join("redis.key"));
    std::fs::write(&cert_file, cert.pem()).expect("write the certificate");
    std::fs::write(&key_file, key.serialize_pem()).expect("write the key");
    (ca.pem().into_bytes(), cert_file, key_file)
}

#[tokio::test]
async fn over_tls_redis_is_trusted_through_the_given_ca_and_refused_without_it() {
    let dir = std::env::temp_dir().join(format!("finhub-redis-tls-{}", std::process::id()));
    let (ca, cert_file, key_file) = tls_material(&dir);
    let server = OwnRedisServer::start_tls(&cert_file, &key_file);
    assert!(server.url().starts_with("rediss://"));
    let limit = Gcra::per_period(2, HOUR);
    let key = LimitKey::new("address", "a");

    let trusting = RedisLimits::new(
        &server.url(),
        RedisOptions {
            key_prefix: "tls".into(),
            timeout: Duration::from_secs(5),
            ca_pem: Some(ca),
        },
    )
    .expect("a valid URL");
    assert_eq!(at_once(&trusting, &key, limit).await, booked(0));
    trusting.ping().await.expect("Redis answers over TLS");

    // Without the CA, the system's roots do not vouch for this server: a bounded error.
    let doubting = RedisLimits::new(
        &server.url(),
        RedisOptions {
            key_prefix: "tls".into(),
            timeout: Duration::from_secs(5),
            ca_pem: None,
        },
    )
    .expect("a valid URL");
    let error = doubting
        .admit(&[(&key, limit)], Duration::ZERO)
        .await
        .expect_err("an unknown CA");
    assert!(!error.to_string().contains("rediss://"), "{error}");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
