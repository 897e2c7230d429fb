//! Time-based policies, each a pure function of `now`: when a session's access token may be
//! refreshed, and how long a run of failed logins blocks further attempts.

pub mod login_backoff;
pub mod refresh;
