//! [`Full`]: a response body held in memory.

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A response body held in memory: one frame whose exact length is known up front, so
/// hyper writes `Content-Length` and the whole body in one go.
#[derive(Debug, Default, Clone)]
pub struct Full(Option<Bytes>);

impl Full {
    /// A body of `bytes` (an empty one is sent as no body).
    pub fn new(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        Self((!bytes.is_empty()).then_some(bytes))
    }

    /// No body (HEAD, 304).
    pub fn empty() -> Self {
        Self(None)
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.0.as_ref().map_or(0, Bytes::len)
    }

    /// Whether it holds no byte.
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// Its bytes (until it is sent).
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_deref().unwrap_or_default()
    }
}

impl http_body::Body for Full {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.get_mut().0.take().map(|b| Ok(Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.len() as u64)
    }
}
