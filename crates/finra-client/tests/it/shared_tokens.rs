//! Token managers that share tokens (as several hub instances do, through the hub's store): an
//! in-memory share stands for the database. Two managers — two processes — minting for one
//! credential at token expiry cause one mint between them; a token the API refused is never
//! adopted again; a share that fails leaves each manager minting alone.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use finra_client::{
    Credentials, Query, ShareError, SharedToken, SharedTokenLock, SharedTokens, TokenManager,
};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::support::{FIRM_ID, FIRM_SECRET, builder, clock, config, spawn};

fn firm_query() -> Query {
    Query::new("firm", "firmProfile").limit(5)
}

/// One credential's shared token and lock, in memory.
#[derive(Debug, Default)]
struct MemoryShare {
    slot: Arc<Mutex<Option<SharedToken>>>,
    broken: AtomicBool,
}

struct MemoryLock(OwnedMutexGuard<Option<SharedToken>>);

#[async_trait]
impl SharedTokens for MemoryShare {
    async fn load(&self) -> Result<Option<SharedToken>, ShareError> {
        if self.broken.load(Ordering::SeqCst) {
            return Err("the share is down".into());
        }
        Ok(self.slot.lock().await.clone())
    }

    async fn lock(&self) -> Result<Box<dyn SharedTokenLock>, ShareError> {
        Ok(Box::new(MemoryLock(
            Arc::clone(&self.slot).lock_owned().await,
        )))
    }
}

#[async_trait]
impl SharedTokenLock for MemoryLock {
    async fn load(&mut self) -> Result<Option<SharedToken>, ShareError> {
        Ok(self.0.clone())
    }

    async fn store(mut self: Box<Self>, token: &SharedToken) -> Result<(), ShareError> {
        *self.0 = Some(token.clone());
        Ok(())
    }

    async fn release(self: Box<Self>) {}
}

fn manager(
    emulator: &finra_emulator::RunningEmulator,
    clock: &finhub_clock::SharedClock,
    share: &Arc<MemoryShare>,
) -> TokenManager {
    TokenManager::builder(Credentials::new(FIRM_ID, FIRM_SECRET))
        .token_url(emulator.token_url())
        .clock(clock.clone())
        .shared(Arc::clone(share) as Arc<dyn SharedTokens>)
        .build()
        .expect("manager")
}

#[tokio::test(start_paused = true)]
async fn two_processes_at_token_expiry_mint_once_between_them() {
    let clock = clock();
    let emulator = spawn(config(&clock).with_token_ttl(Duration::from_secs(600))).await;
    let share = Arc::new(MemoryShare::default());
    let clients: Vec<_> = (0..2)
        .map(|_| {
            builder(&emulator, &clock)
                .token_manager(manager(&emulator, &clock, &share))
                .build()
                .expect("client")
        })
        .collect();
    clients[0].query_page(&firm_query()).await.expect("first");
    clients[1].query_page(&firm_query()).await.expect("adopts");
    assert_eq!(
        emulator.counters().tokens_minted(),
        1,
        "the second adopted it"
    );

    tokio::time::advance(Duration::from_secs(601)).await;
    let tasks: Vec<_> = (0..100)
        .map(|n| {
            let client = clients[n % 2].clone();
            tokio::spawn(async move { client.query_page(&firm_query()).await })
        })
        .collect();
    for task in tasks {
        task.await.expect("task").expect("page");
    }
    assert_eq!(emulator.counters().tokens_minted(), 2, "one mint for both");
    assert_eq!(emulator.counters().responses_with_status(401), 0);
}

#[tokio::test(start_paused = true)]
async fn a_refused_token_is_not_adopted_again_and_a_broken_share_means_minting_alone() {
    let clock = clock();
    let emulator = spawn(config(&clock).with_token_ttl(Duration::from_secs(600))).await;
    let share = Arc::new(MemoryShare::default());
    let first = manager(&emulator, &clock, &share);
    let second = manager(&emulator, &clock, &share);
    let token = first.token().await.expect("minted");
    assert_eq!(emulator.counters().tokens_minted(), 1);
    // The API refused it (say, revoked upstream): the manager that saw the 401 mints anew
    // instead of adopting the stored copy, and the share then holds the new one.
    second.token().await.expect("adopted");
    second.invalidate(&token);
    let renewed = second.token().await.expect("re-minted");
    assert_eq!(emulator.counters().tokens_minted(), 2);
    assert_ne!(
        secrecy::ExposeSecret::expose_secret(renewed.secret()),
        secrecy::ExposeSecret::expose_secret(token.secret())
    );

    share.broken.store(true, Ordering::SeqCst);
    tokio::time::advance(Duration::from_secs(601)).await;
    first.token().await.expect("minted alone");
    second.token().await.expect("minted alone");
    assert_eq!(
        emulator.counters().tokens_minted(),
        4,
        "each for itself while the share is down"
    );
}
