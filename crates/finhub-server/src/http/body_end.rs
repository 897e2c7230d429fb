//! A body passed through unchanged that runs a callback once it has been read to its end. The
//! callback is dropped unrun when the body is abandoned, so whatever it holds is released either
//! way: the request time limit uses it to tell a body that stopped arriving, the accept loop to
//! know when an answer has been written.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use http_body::{Frame, SizeHint};

/// `body`, calling `at_end` when its last frame has been read.
#[derive(Debug)]
pub(crate) struct BodyWithEnd<F: FnOnce()> {
    body: Body,
    at_end: Option<F>,
}

impl<F: FnOnce()> BodyWithEnd<F> {
    /// Wraps `body`; a body that is already at its end calls `at_end` now.
    pub(crate) fn new(body: Body, at_end: F) -> Self {
        let mut wrapped = Self {
            body,
            at_end: Some(at_end),
        };
        if wrapped.body.is_end_stream() {
            wrapped.end();
        }
        wrapped
    }

    fn end(&mut self) {
        if let Some(at_end) = self.at_end.take() {
            at_end();
        }
    }
}

impl<F: FnOnce() + Unpin> HttpBody for BodyWithEnd<F> {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let frame = Pin::new(&mut self.body).poll_frame(cx);
        if matches!(frame, Poll::Ready(None)) || self.body.is_end_stream() {
            self.end();
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn the_callback_runs_once_at_the_end_and_never_for_an_abandoned_body() {
        let ended = Arc::new(AtomicUsize::new(0));
        let count = || {
            let ended = Arc::clone(&ended);
            move || {
                ended.fetch_add(1, Ordering::SeqCst);
            }
        };
        let read = BodyWithEnd::new(Body::from("abc"), count());
        assert_eq!(ended.load(Ordering::SeqCst), 0);
        let bytes = axum::body::to_bytes(Body::new(read), 16)
            .await
            .expect("body");
        assert_eq!(&bytes[..], b"abc");
        assert_eq!(ended.load(Ordering::SeqCst), 1);

        drop(BodyWithEnd::new(Body::from("abc"), count()));
        assert_eq!(ended.load(Ordering::SeqCst), 1, "abandoned: not run");

        let _empty = BodyWithEnd::new(Body::empty(), count());
        assert_eq!(ended.load(Ordering::SeqCst), 2, "already at its end");
    }
}
