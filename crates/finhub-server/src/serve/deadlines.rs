//! A connection's time limits between requests: how long it may wait for a request to start
//! (new or kept alive), and how long a request's headers may take once its first byte has
//! arrived. A connection that overstays either gets a read error, and hyper closes it. While a
//! request is being served neither limit runs: the request's own time limit does.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use super::ConnectionLimits;

/// What one connection is doing, as its time limits see it.
#[derive(Debug)]
pub(super) struct Activity {
    idle_timeout: Duration,
    header_read_timeout: Duration,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// Requests being served (more than one only when requests are pipelined).
    in_flight: usize,
    /// Since when the connection has had no request in flight.
    idle_since: Instant,
    /// When the first byte of the next request arrived.
    head_since: Option<Instant>,
}

impl Activity {
    /// A connection that has just opened: idle from now.
    pub(super) fn new(limits: &ConnectionLimits) -> Arc<Self> {
        Arc::new(Self {
            idle_timeout: limits.idle_timeout,
            header_read_timeout: limits.header_read_timeout,
            state: Mutex::new(State {
                in_flight: 0,
                idle_since: Instant::now(),
                head_since: None,
            }),
        })
    }

    /// A request's headers have arrived: no time limit of the connection's runs until it is
    /// answered (the guard's drop).
    pub(super) fn request_started(self: &Arc<Self>) -> InFlight {
        let mut state = self.lock();
        state.in_flight += 1;
        state.head_since = None;
        InFlight(Arc::clone(self))
    }

    /// When the connection must have made progress by, if a limit runs now.
    fn deadline(&self) -> Option<Instant> {
        let state = self.lock();
        match (state.in_flight, state.head_since) {
            (0, Some(since)) => Some(since + self.header_read_timeout),
            (0, None) => Some(state.idle_since + self.idle_timeout),
            _ => None,
        }
    }

    /// Bytes arrived: between requests, the first of them starts the header-read limit.
    fn bytes_arrived(&self) {
        let mut state = self.lock();
        if state.in_flight == 0 && state.head_since.is_none() {
            state.head_since = Some(Instant::now());
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A request in flight; dropped when its answer has been written (or abandoned), which the
/// accept loop learns from the answer's body.
#[derive(Debug)]
pub(super) struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
        if state.in_flight == 0 {
            state.idle_since = Instant::now();
        }
    }
}

/// A connection's stream with its time limits applied to reads.
#[derive(Debug)]
pub(super) struct TimedIo<Io> {
    io: Io,
    activity: Arc<Activity>,
    timer: Pin<Box<Sleep>>,
}

impl<Io> TimedIo<Io> {
    pub(super) fn new(io: Io, activity: Arc<Activity>) -> Self {
        Self {
            io,
            activity,
            timer: Box::pin(tokio::time::sleep(Duration::ZERO)),
        }
    }
}

impl<Io: AsyncRead + Unpin> AsyncRead for TimedIo<Io> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.activity.bytes_arrived();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => this.poll_deadline(cx),
        }
    }
}

impl<Io> TimedIo<Io> {
    /// Whether a time limit has run out, with the timer armed for the next look when not.
    ///
    /// The timer never runs later than the limit that applies, but may run earlier: every
    /// request moves the idle limit later, and the timer is moved later only when it fires, so
    /// a busy connection does not re-arm it per request; an earlier limit moves it at once.
    /// While a request is in flight no limit applies, and a timer that fires then is set one
    /// idle period ahead, which is before any idle limit that request's end can start.
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            let deadline = self.activity.deadline();
            if let Some(deadline) = deadline
                && deadline < self.timer.deadline()
            {
                self.timer.as_mut().reset(deadline);
            }
            if self.timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            match deadline {
                Some(deadline) if self.timer.deadline() >= deadline => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the connection's idle or header-read time limit ran out",
                    )));
                }
                Some(deadline) => self.timer.as_mut().reset(deadline),
                None => {
                    let next_look = Instant::now() + self.activity.idle_timeout;
                    self.timer.as_mut().reset(next_look);
                }
            }
        }
    }
}

impl<Io: AsyncWrite + Unpin> AsyncWrite for TimedIo<Io> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}
