//! `finhub admin cert …`: binding client certificates to customers — by the SHA-256 fingerprint
//! of the leaf (given as hex, or read from a PEM file), or by a subject pattern
//! (`cn:|dns:|email:|uri:` and a glob where `*` matches any run of characters).

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use finhub_core::admin::{Administration, Administrator};
use finhub_core::cert::{CertFingerprint, CertificateMatcher, SubjectPattern};
use finhub_core::ids::CustomerId;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::tenant_id;
use crate::tls::identity_of;

/// Certificate-binding commands.
#[derive(Debug, Subcommand)]
pub enum CertCommand {
    /// Binds certificates to a customer: its logins and sessions must then come over a matching
    /// client certificate (always in production; in integration whenever one is presented).
    Bind {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The customer id.
        #[arg(long)]
        customer: String,
        #[command(flatten)]
        selector: Selector,
    },
    /// Removes one binding.
    Unbind {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The customer id.
        #[arg(long)]
        customer: String,
        #[command(flatten)]
        selector: Selector,
    },
    /// Lists a tenant's bindings (or one customer's).
    List {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// Only this customer's.
        #[arg(long)]
        customer: Option<String>,
    },
}

/// Which certificates a binding recognises: exactly one of the three.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct Selector {
    /// The SHA-256 fingerprint of the client certificate (64 hex digits, colons allowed), e.g.
    /// from `openssl x509 -in client.pem -noout -fingerprint -sha256`.
    #[arg(long)]
    fingerprint: Option<String>,
    /// A subject pattern: cn:GLOB, dns:GLOB, email:GLOB or uri:GLOB (`*` matches any run of
    /// characters), e.g. "cn:acme-billing-*".
    #[arg(long)]
    subject_pattern: Option<String>,
    /// A PEM file holding the client certificate (its fingerprint is bound).
    #[arg(long)]
    cert_file: Option<PathBuf>,
}

impl Selector {
    fn matcher(&self) -> anyhow::Result<CertificateMatcher> {
        if let Some(hex) = &self.fingerprint {
            return Ok(CertificateMatcher::Fingerprint(
                CertFingerprint::parse_hex(hex).context("--fingerprint")?,
            ));
        }
        if let Some(pattern) = &self.subject_pattern {
            return Ok(CertificateMatcher::Subject(
                SubjectPattern::parse(pattern).context("--subject-pattern")?,
            ));
        }
        if let Some(path) = &self.cert_file {
            let der = CertificateDer::from_pem_file(path).with_context(|| {
                format!("--cert-file {}: not a PEM certificate", path.display())
            })?;
            return Ok(CertificateMatcher::Fingerprint(CertFingerprint::of_der(
                &der,
            )));
        }
        anyhow::bail!("give --fingerprint, --subject-pattern or --cert-file")
    }

    /// The subject of `--cert-file`, to show what was bound.
    fn subject(&self) -> Option<String> {
        let der = CertificateDer::from_pem_file(self.cert_file.as_ref()?).ok()?;
        identity_of(&der).map(|identity| identity.subject)
    }
}

fn customer_id(text: &str) -> anyhow::Result<CustomerId> {
    CustomerId::parse(text).map_err(|e| anyhow::anyhow!("--customer {text:?}: {e}"))
}

pub(super) async fn run(
    domain: &Administration,
    admin: &Administrator,
    command: CertCommand,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match command {
        CertCommand::Bind {
            tenant,
            customer,
            selector,
        } => {
            let matcher = selector.matcher()?;
            let binding = domain
                .bind_certificate(
                    admin,
                    &tenant_id(&tenant)?,
                    &customer_id(&customer)?,
                    matcher,
                )
                .await?;
            write!(
                out,
                "tenant {tenant}: customer {customer} bound to {}",
                binding.matcher
            )?;
            match selector.subject() {
                Some(subject) => writeln!(out, " ({subject})")?,
                None => writeln!(out)?,
            }
        }
        CertCommand::Unbind {
            tenant,
            customer,
            selector,
        } => {
            let matcher = selector.matcher()?;
            domain
                .unbind_certificate(
                    admin,
                    &tenant_id(&tenant)?,
                    &customer_id(&customer)?,
                    &matcher,
                )
                .await?;
            writeln!(
                out,
                "tenant {tenant}: customer {customer} no longer bound to {matcher}"
            )?;
        }
        CertCommand::List { tenant, customer } => {
            let customer = customer.as_deref().map(customer_id).transpose()?;
            let bindings = domain
                .certificate_bindings(&tenant_id(&tenant)?, customer.as_ref())
                .await?;
            for binding in bindings {
                let created = binding
                    .created_at
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default();
                writeln!(
                    out,
                    "{}\t{}\t{}\t{created}",
                    binding.customer_id,
                    binding.matcher.kind(),
                    binding.matcher.value(),
                )?;
            }
        }
    }
    Ok(())
}
