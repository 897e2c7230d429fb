//! The hub over real TLS connections on `127.0.0.1:0`, with a test PKI generated at test time:
//! every client-certificate case of mutual TLS answered with 403 `invalid_certificate` in the
//! envelope and audited; TLS 1.0/1.1 refused at the handshake; the integration profile without
//! a certificate; certificate-bound tokens (RFC 8705); and the whole login
//! → data → refresh → rotation → logout flow of the production profile; and the same behind a
//! load balancer that passes TCP through with a PROXY protocol header.

#[path = "../common/mod.rs"]
mod common;

mod bound_tokens;
mod certificates;
mod flow;
mod integration_profile;
mod nginx;
mod portal;
mod protocol;
mod proxy_protocol;
mod support;
