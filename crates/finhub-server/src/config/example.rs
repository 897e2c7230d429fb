//! The commented example `finhub print-config` prints.

/// The session secret [`EXAMPLE`] prints: a placeholder `finhub serve` refuses in production.
pub(super) const EXAMPLE_SESSION_SECRET: &str = "change-me-change-me-change-me-change-me";

/// A complete, commented configuration file.
pub const EXAMPLE: &str = r#"# FinHub configuration. Sources, later ones winning: built-in defaults, this file
# (`finhub serve --config FILE`), then environment variables FINHUB_<SECTION>__<KEY>, e.g.
# FINHUB_PROFILE=production or FINHUB_KEYS__SESSION_SECRET_FILE=/run/secrets/session.
# Unknown keys are refused.

# integration (3600 s access tokens, optional allow-lists, moderate limits) or
# production (1800 s, mandatory allow-lists, strict limits, audit of every decision).
profile = "integration"
listen = "127.0.0.1:8080"
# The URL clients use; the session tokens' `iss`. Default: http://<listen>.
# public_url = "https://hub.example.com"
# sqlite:PATH?mode=rwc (embedded default: one instance), or
# postgres://USER:PASSWORD@HOST:5432/DATABASE (several instances sharing one database; prefer
# FINHUB_DATABASE_URL from a secret store over a password in this file).
database_url = "sqlite:finhub.db?mode=rwc"
# Networks whose X-Forwarded-For is believed (otherwise the TCP peer is the client).
trusted_proxies = []
# Load balancers among trusted_proxies that pass TCP through (TLS, and client certificates, end
# here) and start each connection with a PROXY protocol v2 header naming the client; required
# from them when true.
proxy_protocol = false

[keys]
# Session tokens are HS256 JWTs; `kid` names the key so keys can rotate.
session_kid = "k1"
# At least 32 bytes. Prefer the _file form: session_secret_file = "/run/secrets/finhub-session"
session_secret = "change-me-change-me-change-me-change-me"
# Keys that still verify during a rotation:
# [[keys.previous]]
# kid = "k0"
# secret_file = "/run/secrets/finhub-session-k0"
# Encrypts upstream credentials at rest: base64 of 32 random bytes (`openssl rand -base64 32`).
# Or: data_key_file = "/run/secrets/finhub-data-key"
data_key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

[sessions]
# Defaults come from the profile.
# access_token_ttl_secs = 3600
# session_ttl_secs = 43200
# refresh_token_ttl_secs = 604800
# refresh_grace_secs = 10

[rate_limits]
# Defaults come from the profile (integration / production):
# token_per_address_per_minute = 300   # 120
# token_per_customer_per_minute = 600  # 300
# data_per_session_per_second = 50     # 20
# data_per_customer_per_second = 100   # 40
# mfa_per_session_per_minute = 10      # 10
# Consecutive failed logins (or second-factor codes) of a name before its attempts wait
# (1 s, doubling up to 15 minutes):
# login_failures_before_backoff = 4    # 4

[audit]
# enabled = true            # always true in production
# jsonl_path = "audit.jsonl"

[http]
max_auth_body_bytes = 65536
# A request that has not completed within this time gets 408 if its body had stopped
# arriving (the caller's side), else 503.
request_timeout_secs = 30
# Concurrent Argon2id computations, 19 MiB each (default: the machine's cores, one hashing
# thread per core):
# max_concurrent_password_hashes = 2
# Connections, on the HTTPS and the plain listener alike: a request's headers must arrive within
# header_read_timeout_secs of its first byte, a connection waiting for its next request is
# closed after idle_timeout_secs, and at most max_connections are open at once (more wait in
# the listen queue).
header_read_timeout_secs = 10
idle_timeout_secs = 60
max_connections = 1024
# Threads serving connections, each accepting on its own socket on the same address (default:
# the machine's cores):
# threads = 2

[database]
# PostgreSQL only: each instance's pool and the limits every connection carries to the server.
# A statement running longer than statement_timeout_ms, or waiting for a lock longer than
# lock_timeout_ms, is cancelled (the caller gets 500, the log says why); the server probes
# connections idle for tcp_keepalive_secs, so a vanished instance's locks do not linger.
max_connections = 16
connect_timeout_secs = 5
statement_timeout_ms = 5000
lock_timeout_ms = 2000
tcp_keepalive_secs = 30

[redis]
# Several instances behind one load balancer share their rate limits and FINRA pacing here
# (counters only: losing them resets windows, never sessions). Without a url each instance keeps
# its own. Each decision waits at most timeout_ms for Redis; while Redis is away, each instance
# applies limit ÷ expected_instances by itself, logs a warning once a minute, and shares again
# as soon as Redis answers.
# url = "redis://127.0.0.1:6379"   # rediss://… over TLS
# ca_path = "/etc/finhub/redis-ca.pem"   # rediss: the CA Redis's certificate chains to (default: the system's)
key_prefix = "finhub"
timeout_ms = 100
expected_instances = 1

[upstream]
# Calls to FINRA with each tenant's credential, paced for the whole hub: FINRA allows 20
# requests/s per address. Requests queue at most max_queue_wait_ms for a slot, then get 429.
# Instances with the same egress_id (the address they reach FINRA from) share one pacer
# through [redis].
timeout_secs = 30
requests_per_second = 20
max_queue_wait_ms = 2000
egress_id = "default"
# The hub's own links to asynchronous results (clients fetch them without a token).
result_link_ttl_secs = 3600
max_body_bytes = 1048576

[tls]
# HTTPS for `finhub serve` (TLS 1.2/1.3). The production profile requires it, with mandatory
# client certificates: every request must present a valid certificate issued by one of
# client_ca_paths, bound to its customer (`finhub admin cert bind`), else 403 invalid_certificate.
# cert_path = "/etc/finhub/server.pem"            # chain, leaf first
# key_path = "/etc/finhub/server.key"             # PKCS#8, PKCS#1 or SEC1 PEM
# client_ca_paths = ["/etc/finhub/clients-ca.pem"]
# crl_paths = ["/etc/finhub/clients-ca.crl.pem"]  # read at start-up
# handshake_timeout_secs = 10
# certificate_bound_tokens = true  # RFC 8705: a session works only over the certificate it logged in with
# Plain HTTP instead: integration profile only.
plain_http = true

[metrics]
# GET /metrics (Prometheus text) and GET /readyz (database and Redis answering within 2 s).
# Without listen they are on the main listener (integration); with it, on a plain-HTTP
# listener of their own beside a copy of /healthz, and the main listener answers them 404.
# Production always has one: 127.0.0.1:9464 unless set.
# listen = "127.0.0.1:9464"

[log]
# Standard error, filtered by RUST_LOG (default info): text, or json (one object per line).
format = "text"
"#;
