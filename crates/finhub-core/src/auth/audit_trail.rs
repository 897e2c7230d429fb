//! The audit trail: authentication decisions and administrators' actions, written to the store
//! (and, when configured, as JSON lines).

use std::fmt;
use std::sync::Arc;

use finhub_clock::SharedClock;

use crate::audit::{AuditAction, AuditEvent, AuditOutcome};
use crate::error::AuthError;
use crate::store::Store;

use super::RequestContext;

/// A sink for audit events as JSON lines (a file, stdout); implemented by the server.
pub trait AuditLines: Send + Sync + fmt::Debug {
    /// Writes one line (no trailing newline in `line`).
    fn write_line(&self, line: &str);
}

/// Who an audit entry is about, as far as the request said.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Subject<'a> {
    pub(crate) tenant: Option<&'a str>,
    pub(crate) customer: Option<&'a str>,
    pub(crate) username: Option<&'a str>,
}

/// Who an administrator's action is about.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AdminSubject<'a> {
    pub(crate) tenant: &'a str,
    pub(crate) customer: Option<&'a str>,
    pub(crate) username: Option<&'a str>,
}

/// The `error` code an outcome is audited with.
pub(super) fn outcome_of<T>(result: &Result<T, AuthError>) -> AuditOutcome {
    match result {
        Ok(_) => AuditOutcome::Success,
        Err(error) => AuditOutcome::Failure(error.code().to_owned()),
    }
}

/// Where audit events go. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct AuditTrail {
    store: Arc<dyn Store>,
    clock: SharedClock,
    lines: Option<Arc<dyn AuditLines>>,
    /// Whether authentication decisions are recorded (administrators' actions always are).
    decisions: bool,
}

impl AuditTrail {
    pub(crate) fn new(
        store: Arc<dyn Store>,
        clock: SharedClock,
        lines: Option<Arc<dyn AuditLines>>,
        decisions: bool,
    ) -> Self {
        Self {
            store,
            clock,
            lines,
            decisions,
        }
    }

    /// Records one decision when auditing is on. Audit failures are logged, never fatal.
    pub(crate) async fn decision(
        &self,
        ctx: &RequestContext,
        action: AuditAction,
        outcome: AuditOutcome,
        subject: Subject<'_>,
    ) {
        if !self.decisions {
            return;
        }
        let event = AuditEvent {
            at: self.clock.now_utc(),
            request_id: ctx.request_id.clone(),
            action,
            outcome,
            tenant: subject
                .tenant
                .or(ctx.tenant_header.as_deref())
                .map(str::to_owned),
            customer: subject.customer.map(str::to_owned),
            username: subject.username.map(str::to_owned),
            peer_addr: ctx.peer_addr.to_string(),
            client_addr: ctx.client_addr.to_string(),
            forwarded_for: ctx.forwarded_for.clone(),
            user_agent: ctx.user_agent.clone(),
            platform: ctx.platform.clone(),
            client_certificate: ctx
                .client_certificate
                .fingerprint()
                .map(|fingerprint| fingerprint.to_hex()),
            actor: None,
            sessions_ended: None,
        };
        self.record(&event).await;
    }

    /// Records an administrator's action, always (whatever `audit.enabled` says: administrators'
    /// actions are few and must be accountable). The addresses read `local`: `finhub admin`
    /// runs on the host, against the database.
    pub(crate) async fn admin(
        &self,
        admin: &crate::admin::Administrator,
        action: AuditAction,
        subject: AdminSubject<'_>,
        sessions_ended: Option<u64>,
    ) {
        let event = AuditEvent {
            at: self.clock.now_utc(),
            request_id: admin.request_id.clone(),
            action,
            outcome: AuditOutcome::Success,
            tenant: Some(subject.tenant.to_owned()),
            customer: subject.customer.map(str::to_owned),
            username: subject.username.map(str::to_owned),
            peer_addr: "local".to_owned(),
            client_addr: "local".to_owned(),
            forwarded_for: None,
            user_agent: None,
            platform: None,
            client_certificate: None,
            actor: Some(admin.actor.clone()),
            sessions_ended,
        };
        self.record(&event).await;
    }

    /// Writes one event to the JSON lines (when configured) and the store. Failures are logged,
    /// never fatal.
    async fn record(&self, event: &AuditEvent) {
        if let Some(lines) = &self.lines {
            lines.write_line(&event.to_json_line());
        }
        if let Err(error) = self.store.append(event).await {
            tracing::error!(%error, request.id = %event.request_id, "writing an audit event failed");
        }
    }

    /// Audits FINRA refusing the tenant's upstream credential, with FINRA's reason (which the
    /// caller never sees).
    pub(crate) async fn upstream_rejection(
        &self,
        ctx: &RequestContext,
        tenant: &str,
        reason: &str,
    ) {
        self.decision(
            ctx,
            AuditAction::UpstreamCredentialRejected,
            AuditOutcome::Failure(reason.to_owned()),
            Subject {
                tenant: Some(tenant),
                ..Subject::default()
            },
        )
        .await;
    }

    /// Audits a refusal made outside the service (address, rate limit, certificate).
    pub(crate) async fn refusal(&self, ctx: &RequestContext, error: &AuthError) {
        self.decision(
            ctx,
            AuditAction::RequestRefused,
            AuditOutcome::Failure(error.code().to_owned()),
            Subject::default(),
        )
        .await;
    }
}
