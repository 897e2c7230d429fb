//! A TCP relay a test can cut and restore: in front of a service (PostgreSQL), so the hub loses
//! it — open connections dropped, new ones refused — without touching the service itself.

#![allow(dead_code, reason = "each test binary uses its own part")]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// The relay; stops when dropped.
pub(crate) struct TcpCut {
    addr: SocketAddr,
    open: Arc<AtomicBool>,
    /// Bumped at every cut: relayed connections of an earlier generation end.
    generation: watch::Sender<u64>,
    counter: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl TcpCut {
    /// A relay on a loopback port to `target`, open.
    pub(crate) async fn to(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the relay");
        let addr = listener.local_addr().expect("the relay's address");
        let open = Arc::new(AtomicBool::new(true));
        let (generation, _) = watch::channel(0u64);
        let counter = Arc::new(AtomicU64::new(0));
        let task = tokio::spawn({
            let open = Arc::clone(&open);
            let generation = generation.clone();
            async move {
                while let Ok((mut inbound, _)) = listener.accept().await {
                    if !open.load(Ordering::SeqCst) {
                        // Refused: closed at once.
                        continue;
                    }
                    let mut cut = generation.subscribe();
                    let born = *cut.borrow();
                    tokio::spawn(async move {
                        let Ok(mut outbound) = TcpStream::connect(target).await else {
                            return;
                        };
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                            _ = cut.wait_for(|now| *now != born) => {}
                        }
                    });
                }
            }
        });
        Self {
            addr,
            open,
            generation,
            counter,
            task,
        }
    }

    /// Where clients connect instead of the target.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Drops every relayed connection and refuses new ones.
    pub(crate) fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        let next = self.counter.fetch_add(1, Ordering::SeqCst) + 1;
        self.generation.send_replace(next);
    }

    /// Relays new connections again.
    pub(crate) fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

impl Drop for TcpCut {
    fn drop(&mut self) {
        self.task.abort();
    }
}
