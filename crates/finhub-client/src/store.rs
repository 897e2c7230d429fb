//! [`SessionFile`]: a session kept on disk between runs — JSON, written with mode 0600 through a
//! temporary file and a rename, and used only by a client of the same hub, tenant and customer.

use std::io::Write;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::session::Session;

/// The session file of one hub, tenant and customer.
#[derive(Debug)]
pub(crate) struct SessionFile {
    path: PathBuf,
    hub: String,
    tenant: String,
    customer_id: String,
}

/// What the file holds.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Stored {
    hub: String,
    tenant: String,
    customer_id: String,
    session: Session,
}

impl SessionFile {
    pub(crate) fn new(path: PathBuf, hub: &str, tenant: &str, customer_id: &str) -> Self {
        Self {
            path,
            hub: hub.to_owned(),
            tenant: tenant.to_owned(),
            customer_id: customer_id.to_owned(),
        }
    }

    /// The stored session, when the file holds one of this hub, tenant and customer.
    pub(crate) fn load(&self) -> Option<Session> {
        let text = std::fs::read(&self.path).ok()?;
        let stored: Stored = match serde_json::from_slice(&text) {
            Ok(stored) => stored,
            Err(error) => {
                tracing::warn!(path = %self.path.display(), %error, "ignoring an unreadable session file");
                return None;
            }
        };
        (stored.hub == self.hub
            && stored.tenant == self.tenant
            && stored.customer_id == self.customer_id)
            .then_some(stored.session)
    }

    /// Writes the session (mode 0600, replacing the file whole).
    pub(crate) fn save(&self, session: &Session) -> std::io::Result<()> {
        let stored = Stored {
            hub: self.hub.clone(),
            tenant: self.tenant.clone(),
            customer_id: self.customer_id.clone(),
            session: session.clone(),
        };
        let text = serde_json::to_vec_pretty(&stored).map_err(std::io::Error::other)?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let temporary = self.path.with_extension("tmp");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&temporary)?;
        file.write_all(&text)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temporary, &self.path)
    }

    /// Removes the file (a logout, or a session that has ended).
    pub(crate) fn remove(&self) {
        match std::fs::remove_file(&self.path) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                tracing::warn!(path = %self.path.display(), %error, "could not remove the session file");
            }
        }
    }
}
