//! Serving on several threads, nginx-style: each thread runs its own single-threaded runtime and
//! accepts on its own socket, all bound to one address with `SO_REUSEPORT` (the kernel spreads
//! new connections over them). A connection, its requests and the upstream calls they make stay
//! on the thread that accepted it: on the hot path no task moves between threads and no wake-up
//! crosses them. The threads share the cap on open connections.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::time::Duration;

use finhub_clock::SharedClock;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;

use super::{
    Application, ConnectionLimits, ConnectionSlots, connection_slots, serve_plain_sharing,
};
use crate::tls::{TlsServer, serve_tls_sharing};

/// Pending connections each socket keeps in its listen queue.
const BACKLOG: u32 = 1024;

/// One listening socket per serving thread, all on the same address.
#[derive(Debug)]
pub struct ServingThreads {
    listeners: Vec<std::net::TcpListener>,
    local_addr: SocketAddr,
}

impl ServingThreads {
    /// Binds `threads` sockets to `addr` (port 0: a free port, the same for all). Fails as a
    /// single socket would when another socket holds the address, even one that allows its
    /// port to be shared: two hubs never split one address's connections unnoticed. Must be
    /// called within a tokio runtime.
    pub fn bind(addr: SocketAddr, threads: NonZeroUsize) -> io::Result<Self> {
        // A socket that does not share its port is refused wherever any other socket holds it.
        let probe = std::net::TcpListener::bind(addr)?;
        let local_addr = probe.local_addr()?;
        drop(probe);
        let listeners = (0..threads.get())
            .map(|_| {
                let socket = match local_addr {
                    SocketAddr::V4(_) => TcpSocket::new_v4()?,
                    SocketAddr::V6(_) => TcpSocket::new_v6()?,
                };
                socket.set_reuseaddr(true)?;
                socket.set_reuseport(true)?;
                socket.bind(local_addr)?;
                socket.listen(BACKLOG)?.into_std()
            })
            .collect::<io::Result<_>>()?;
        Ok(Self {
            listeners,
            local_addr,
        })
    }

    /// The address the sockets are bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves `app` (HTTPS when `tls` is given) on every thread until `shutdown` completes,
    /// then lets each finish its requests in flight. A thread that ends early (it could not
    /// start its runtime, or it panicked) stops the others, and its error is returned.
    pub async fn serve(
        self,
        app: impl Application,
        limits: ConnectionLimits,
        tls: Option<TlsServer>,
        clock: SharedClock,
        shutdown: impl Future<Output = ()>,
    ) -> io::Result<()> {
        let slots = connection_slots(&limits);
        let (stop, stopping) = watch::channel(false);
        let mut threads = JoinSet::new();
        for (index, listener) in self.listeners.into_iter().enumerate() {
            let thread = ServingThread {
                listener,
                app: app.clone(),
                limits: limits.clone(),
                slots: ConnectionSlots::clone(&slots),
                tls: tls.clone(),
                clock: SharedClock::clone(&clock),
                stopping: stopping.clone(),
            };
            let (ended, has_ended) = oneshot::channel();
            std::thread::Builder::new()
                .name(format!("finhub-serve-{index}"))
                .spawn(move || {
                    let _ = ended.send(thread.run());
                })?;
            threads.spawn(async move {
                has_ended.await.unwrap_or_else(|_| {
                    Err(io::Error::other(format!("serving thread {index} panicked")))
                })
            });
        }
        let mut outcome = Ok(());
        tokio::select! {
            () = shutdown => {}
            Some(ended) = threads.join_next() => {
                outcome = flatten(ended).and(Err(io::Error::other("a serving thread stopped")));
            }
        }
        let _ = stop.send(true);
        while let Some(ended) = threads.join_next().await {
            outcome = outcome.and(flatten(ended));
        }
        outcome
    }
}

/// What one serving thread owns.
struct ServingThread<A> {
    listener: std::net::TcpListener,
    app: A,
    limits: ConnectionLimits,
    slots: ConnectionSlots,
    tls: Option<TlsServer>,
    clock: SharedClock,
    stopping: watch::Receiver<bool>,
}

impl<A: Application> ServingThread<A> {
    /// Runs the accept loop on a runtime of this thread's own until told to stop.
    fn run(self) -> io::Result<()> {
        let Self {
            listener,
            app,
            limits,
            slots,
            tls,
            clock,
            mut stopping,
        } = self;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async move {
            tokio::spawn(keep_timer_wake_near());
            let listener = TcpListener::from_std(listener)?;
            let shutdown = async move {
                let _ = stopping.wait_for(|stop| *stop).await;
            };
            match tls {
                Some(tls) => {
                    serve_tls_sharing(listener, app, limits, slots, tls, clock, shutdown).await
                }
                None => serve_plain_sharing(listener, app, limits, slots, shutdown).await,
            }
        })
    }
}

/// How far ahead a serving thread's timer driver is always due to wake.
const TIMER_WAKE_WITHIN: Duration = Duration::from_secs(1);

/// Keeps the thread's timer driver due to wake within [`TIMER_WAKE_WITHIN`], for as long as the
/// runtime runs. tokio wakes its driver through an eventfd (a system call) whenever a timer is
/// armed that is due before the driver's next planned wake-up, even from the thread that drives
/// it; on a quiet thread, whose next wake-up is a connection's idle limit a minute away, that is
/// every request (its time limit and its upstream timeout, due in seconds). With a wake-up
/// always within a second, arming a limit of a second or more never costs that system call; the
/// price is one wake-up per second on an idle thread.
async fn keep_timer_wake_near() {
    let mut tick = tokio::time::interval(TIMER_WAKE_WITHIN);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
    }
}

/// A serving thread's outcome as seen through its watcher task.
fn flatten(ended: Result<io::Result<()>, tokio::task::JoinError>) -> io::Result<()> {
    ended.unwrap_or_else(|error| Err(io::Error::other(error)))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    use axum::Router;
    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    use super::*;
    use crate::serve::ProxyProtocol;

    const LOOPBACK: SocketAddr =
        SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 0);

    fn limits(max_connections: usize) -> ConnectionLimits {
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections,
            proxy_protocol: ProxyProtocol::off(),
        }
    }

    fn two() -> NonZeroUsize {
        NonZeroUsize::new(2).expect("two")
    }

    /// `GET /thread` answers the name of the thread that served it; `GET /held` counts itself
    /// in `held` and answers once `release` says so.
    fn app(held: Arc<AtomicUsize>, release: watch::Receiver<bool>) -> Router {
        Router::new()
            .route(
                "/thread",
                get(|| async { std::thread::current().name().unwrap_or("?").to_owned() }),
            )
            .route(
                "/held",
                get(move || {
                    let (held, mut release) = (Arc::clone(&held), release.clone());
                    async move {
                        held.fetch_add(1, Ordering::SeqCst);
                        let _ = release.wait_for(|go| *go).await;
                        "released"
                    }
                }),
            )
    }

    /// [`app`] served on two threads.
    struct Running {
        addr: SocketAddr,
        /// How many `/held` requests have arrived.
        held: Arc<AtomicUsize>,
        /// Lets the `/held` requests answer.
        release: watch::Sender<bool>,
        /// Shuts the threads down.
        stop: oneshot::Sender<()>,
        served: tokio::task::JoinHandle<io::Result<()>>,
    }

    fn start(max_connections: usize) -> Running {
        let threads = ServingThreads::bind(LOOPBACK, two()).expect("bind");
        let addr = threads.local_addr();
        let held = Arc::new(AtomicUsize::new(0));
        let (release, released) = watch::channel(false);
        let (stop, stopped) = oneshot::channel::<()>();
        let served = tokio::spawn(threads.serve(
            app(Arc::clone(&held), released),
            limits(max_connections),
            None,
            finhub_clock::SystemClock::shared(),
            async {
                let _ = stopped.await;
            },
        ));
        Running {
            addr,
            held,
            release,
            stop,
            served,
        }
    }

    /// Sends `GET path` on a kept-alive connection.
    async fn send(stream: &mut TcpStream, path: &str) {
        let request = format!("GET {path} HTTP/1.1\r\nhost: hub\r\n\r\n");
        stream.write_all(request.as_bytes()).await.expect("write");
    }

    /// The body of one answer (bounded: 10 s).
    async fn body(stream: &mut TcpStream) -> String {
        let mut answer = Vec::new();
        let mut buf = [0_u8; 1024];
        let read = async {
            loop {
                let text = String::from_utf8_lossy(&answer).into_owned();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let length = head
                        .lines()
                        .find_map(|line| line.strip_prefix("content-length: "))
                        .and_then(|n| n.trim().parse::<usize>().ok())
                        .expect("a content-length");
                    if body.len() >= length {
                        return body.to_owned();
                    }
                }
                let n = stream.read(&mut buf).await.expect("read");
                assert!(n > 0, "closed before a whole answer: {text:?}");
                answer.extend_from_slice(&buf[..n]);
            }
        };
        tokio::time::timeout(Duration::from_secs(10), read)
            .await
            .expect("an answer within 10 s")
    }

    /// Polls `done` every millisecond for at most 10 s.
    async fn until(what: &str, mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done() {
            assert!(Instant::now() < deadline, "gave up waiting for {what}");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    #[tokio::test]
    async fn connections_spread_over_the_threads_and_stay_on_theirs() {
        let Running {
            addr, stop, served, ..
        } = start(64);
        let mut names = BTreeSet::new();
        for _ in 0..32 {
            let mut connection = TcpStream::connect(addr).await.expect("connect");
            send(&mut connection, "/thread").await;
            let first = body(&mut connection).await;
            send(&mut connection, "/thread").await;
            assert_eq!(
                body(&mut connection).await,
                first,
                "a connection keeps its thread"
            );
            names.insert(first);
        }
        // The kernel hashes each connection to a socket: 32 on one of two has odds of 2^-31.
        let expected = BTreeSet::from(["finhub-serve-0".to_owned(), "finhub-serve-1".to_owned()]);
        assert_eq!(names, expected);
        stop.send(()).expect("still serving");
        served.await.expect("joined").expect("stopped cleanly");
    }

    #[tokio::test]
    async fn an_address_in_use_is_refused_even_to_sockets_that_share() {
        let first = ServingThreads::bind(LOOPBACK, two()).expect("bind");
        let taken = ServingThreads::bind(first.local_addr(), two()).expect_err("in use");
        assert_eq!(taken.kind(), io::ErrorKind::AddrInUse);
        let plain = std::net::TcpListener::bind(LOOPBACK).expect("bind");
        let taken =
            ServingThreads::bind(plain.local_addr().expect("addr"), two()).expect_err("in use");
        assert_eq!(taken.kind(), io::ErrorKind::AddrInUse);
    }

    #[tokio::test]
    async fn shutdown_stops_accepting_on_every_thread_and_lets_requests_in_flight_finish() {
        let Running {
            addr,
            held,
            release,
            stop,
            served,
        } = start(64);
        let mut connections = Vec::new();
        for _ in 0..16 {
            let mut connection = TcpStream::connect(addr).await.expect("connect");
            send(&mut connection, "/held").await;
            connections.push(connection);
        }
        until("16 requests in flight", || {
            held.load(Ordering::SeqCst) == 16
        })
        .await;
        stop.send(()).expect("still serving");
        // Every thread closes its socket: the address refuses new connections.
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(addr).await.is_ok() {
            assert!(Instant::now() < deadline, "still accepting after shutdown");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert!(!served.is_finished(), "waits for the requests in flight");
        release.send(true).expect("handlers listening");
        for connection in &mut connections {
            assert_eq!(body(connection).await, "released");
        }
        served.await.expect("joined").expect("stopped cleanly");
    }

    #[tokio::test]
    async fn the_threads_share_one_cap_on_open_connections() {
        let Running {
            addr,
            held,
            release,
            stop,
            served,
        } = start(2);
        let mut first = TcpStream::connect(addr).await.expect("connect");
        let mut second = TcpStream::connect(addr).await.expect("connect");
        send(&mut first, "/held").await;
        send(&mut second, "/held").await;
        until("both held", || held.load(Ordering::SeqCst) == 2).await;
        // Two are open, whichever threads took them: a third waits in the listen queue, whatever
        // thread the kernel gives it to (with a cap per thread it could be served at once).
        let mut third = TcpStream::connect(addr).await.expect("connect");
        send(&mut third, "/thread").await;
        let mut buf = [0_u8; 1];
        let early = tokio::time::timeout(Duration::from_millis(300), third.read(&mut buf)).await;
        assert!(early.is_err(), "not served past the cap");
        release.send(true).expect("handlers listening");
        assert_eq!(body(&mut first).await, "released");
        drop(first);
        assert!(body(&mut third).await.starts_with("finhub-serve-"));
        drop(second);
        stop.send(()).expect("still serving");
        served.await.expect("joined").expect("stopped cleanly");
    }
}
