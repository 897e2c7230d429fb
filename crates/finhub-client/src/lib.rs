//! A Rust client of a FinHub: an app logs in to the hub — a person with a password (and the
//! code of their authenticator app when the hub asks), or a machine with its customer's client
//! credentials — and calls FINRA's Query API through the hub on that session, which the client
//! keeps fresh by itself.
//!
//! - **Logging in** ([`HubClient::login_password`], [`HubClient::login_client_credentials`]):
//!   the hub's required headers are sent for you; a second factor the hub asks for comes back
//!   as [`HubError::MfaRequired`] (call again with a [`SecondFactor`]), a missing one as
//!   [`HubError::EnrollmentRequired`]. Passwords are used for one call and never kept.
//! - **The session** stays fresh: before each call the access token is refreshed when 10 % or
//!   less of its life is left (one refresh however many tasks ask), and once it has expired a
//!   new session comes from the refresh token. It lives in memory, or also in a session file
//!   (mode 0600, tokens only) with [`HubClientBuilder::session_file`].
//! - **Errors** ([`HubError`]): one variant per error code the hub answers with.
//! - **FINRA through the hub** ([`HubClient::finra_client`]): a `finra-client` client whose
//!   calls go to the hub with the session token, so paging, slicing and async requests work
//!   through FinHub unchanged.
//! - **Production hubs**: a client certificate ([`HubClientBuilder::client_identity_pem`]) and
//!   the hub's CA ([`HubClientBuilder::ca_certificate`]).
//!
//! # Example
//!
//! ```no_run
//! use finhub_client::{HubClient, HubError, SecondFactor};
//! use finra_client::Query;
//! use futures_util::TryStreamExt;
//! use secrecy::SecretString;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let hub = HubClient::builder("https://hub.example.com")
//!     .tenant("1234567")
//!     .customer("cus_2f8KXb3hQ1", SecretString::from("fhcs_…"))
//!     .build()?;
//!
//! let password = SecretString::from("…");
//! match hub.login_password("demo", &password, None).await {
//!     Ok(_) => {}
//!     Err(HubError::MfaRequired(_)) => {
//!         let code = SecondFactor::Otp("123456".into()); // from the person's app
//!         hub.login_password("demo", &password, Some(&code)).await?;
//!     }
//!     Err(error) => return Err(error.into()),
//! }
//!
//! // FINRA's API through the hub, the session renewed as the download goes on.
//! let finra = hub.finra_client()?;
//! let rows: Vec<_> = finra
//!     .stream_rows(Query::new("otcMarket", "weeklySummary"))
//!     .try_collect()
//!     .await?;
//! println!("{} rows", rows.len());
//! hub.logout().await?;
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod builder;
mod client;
mod error;
mod session;
mod store;

pub use builder::{AccountType, HubClientBuilder};
pub use client::{HubClient, Login, SecondFactor, SessionInfo};
pub use error::{HubError, Refusal};
