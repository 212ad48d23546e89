//! The Flight connection's writes gathered into large socket writes.
//!
//! h2 hands its socket one DATA frame per write and flushes after each, and a frame is at most
//! what the client allows: 16 KiB for gRPC's C++ core, so for pyarrow's client. A 4 MiB Flight
//! message would take 256 send calls, each pushing a small segment through the TCP stack (on
//! loopback through the receiver's as well, on the same cores). Here every write is appended to
//! a buffer that a writer task empties with one large write whenever the socket takes more, so
//! the frames h2 produces while a write is under way leave together. That costs one copy of the
//! bytes (a memcpy, far cheaper than the send calls it saves). Memory is bounded: while the
//! buffer holds [`LIMIT`] bytes, h2 waits, as it would for a full socket.
//!
//! A flush returns once the bytes are handed to the writer task, which sends without delay, so
//! nothing is held back waiting for more; write errors reach the next write, flush or shutdown.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::Notify;
use tonic::transport::server::{Connected, TcpConnectInfo};

/// Bytes buffered before writers wait for the socket.
pub const LIMIT: usize = 1 << 20;

/// How long a dropped connection's last bytes may take to leave before they are abandoned (a
/// client that stops reading must not hold the writer task for ever).
const LINGER: Duration = Duration::from_secs(30);

/// A TCP connection whose writes leave in large batches (see the module documentation).
pub struct Coalesced {
    read: OwnedReadHalf,
    shared: Arc<Shared>,
    info: TcpConnectInfo,
}

struct Shared {
    state: Mutex<State>,
    writer: Notify,
    /// Signalled when the connection is shut down or dropped: a write under way from then on
    /// has [`LINGER`] to finish.
    closing: Notify,
}

#[derive(Default)]
struct State {
    /// Bytes written and not yet taken by the writer task.
    pending: Vec<u8>,
    /// No more writes: send what is left, then shut the socket down.
    closing: bool,
    /// The socket is shut down (or failed): the writer task has ended.
    closed: bool,
    /// The first write error, reported to every later call.
    failed: Option<(io::ErrorKind, String)>,
    /// The connection's task, waiting for room or for the last bytes to leave.
    waiting: Option<Waker>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The connection is shut down or dropped: the writer sends what is buffered and ends, a
    /// write under way from now on has [`LINGER`] to finish.
    fn close(&self) {
        self.lock().closing = true;
        self.writer.notify_one();
        self.closing.notify_one();
    }
}

impl State {
    fn error(&self) -> Option<io::Error> {
        self.failed.as_ref().map(|(kind, message)| io::Error::new(*kind, message.clone()))
    }

    fn wake(&mut self) {
        if let Some(waker) = self.waiting.take() {
            waker.wake();
        }
    }
}

impl Coalesced {
    /// Wraps `stream`, starting its writer task on the current runtime.
    pub fn new(stream: TcpStream) -> Self {
        let info = TcpConnectInfo { local_addr: stream.local_addr().ok(), remote_addr: stream.peer_addr().ok() };
        let (read, write) = stream.into_split();
        let shared =
            Arc::new(Shared { state: Mutex::new(State::default()), writer: Notify::new(), closing: Notify::new() });
        tokio::spawn(send(write, shared.clone()));
        Coalesced { read, shared, info }
    }

    fn append(&self, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        let mut state = self.shared.lock();
        if let Some(e) = state.error() {
            return Poll::Ready(Err(e));
        }
        if state.closing {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        if state.pending.len() >= LIMIT {
            state.waiting = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let mut n = 0;
        for buf in bufs {
            state.pending.extend_from_slice(buf);
            n += buf.len();
        }
        drop(state);
        self.shared.writer.notify_one();
        Poll::Ready(Ok(n))
    }
}

/// What the writer task does next.
enum Next {
    Send,
    Wait,
    Close,
}

/// The writer task: sends whatever has accumulated, one write per batch, until closed.
async fn send(mut socket: OwnedWriteHalf, shared: Arc<Shared>) {
    let mut batch = Vec::with_capacity(LIMIT);
    loop {
        let (next, lingering) = {
            let mut state = shared.lock();
            let next = if !state.pending.is_empty() {
                batch.clear();
                std::mem::swap(&mut batch, &mut state.pending);
                Next::Send
            } else if state.closing {
                Next::Close
            } else {
                Next::Wait
            };
            state.wake();
            (next, state.closing)
        };
        match next {
            Next::Wait => shared.writer.notified().await,
            Next::Close => {
                let _ = socket.shutdown().await;
                break;
            }
            Next::Send => {
                // While the connection lives, a write may wait as long as the client does not
                // read (a paused pipeline is legitimate); once it is gone, only LINGER.
                let mut write = std::pin::pin!(socket.write_all(&batch));
                let linger = |write| async move {
                    tokio::time::timeout(LINGER, write).await.unwrap_or(Err(io::ErrorKind::TimedOut.into()))
                };
                let written = match lingering {
                    true => linger(write).await,
                    false => tokio::select! {
                        written = &mut write => written,
                        _ = shared.closing.notified() => linger(write).await,
                    },
                };
                if let Err(e) = written {
                    let mut state = shared.lock();
                    state.failed = Some((e.kind(), e.to_string()));
                    state.pending = Vec::new();
                    break;
                }
            }
        }
    }
    let mut state = shared.lock();
    state.closed = true;
    state.wake();
}

impl AsyncRead for Coalesced {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.read).poll_read(cx, buf)
    }
}

impl AsyncWrite for Coalesced {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.append(cx, &[io::IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.append(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.shared.lock().error() {
            Some(e) => Poll::Ready(Err(e)),
            None => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut state = self.shared.lock();
        if let Some(e) = state.error() {
            return Poll::Ready(Err(e));
        }
        if state.closed {
            return Poll::Ready(Ok(()));
        }
        state.waiting = Some(cx.waker().clone());
        drop(state);
        self.shared.close();
        Poll::Pending
    }
}

impl Drop for Coalesced {
    fn drop(&mut self) {
        self.shared.close();
    }
}

impl Connected for Coalesced {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> TcpConnectInfo {
        self.info.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    async fn pair() -> (Coalesced, TcpStream) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap());
        let (client, accepted) = tokio::join!(client, listener.accept());
        (Coalesced::new(accepted.unwrap().0), client.unwrap())
    }

    #[tokio::test]
    async fn every_byte_arrives_in_order_and_shutdown_waits_for_the_last() {
        let (mut server, mut client) = pair().await;
        let reader = tokio::spawn(async move {
            let mut all = Vec::new();
            client.read_to_end(&mut all).await.unwrap();
            all
        });
        let mut expected = Vec::new();
        for i in 0..5000u32 {
            let frame: Vec<u8> = (0..(i % 997 + 1)).map(|b| (b ^ i) as u8).collect();
            let head = i.to_le_bytes();
            let slices = [io::IoSlice::new(&head), io::IoSlice::new(&frame)];
            let mut written = 0;
            while written < head.len() + frame.len() {
                // Vectored writes are taken whole.
                written += futures::future::poll_fn(|cx| Pin::new(&mut server).poll_write_vectored(cx, &slices))
                    .await
                    .unwrap();
            }
            expected.extend_from_slice(&head);
            expected.extend_from_slice(&frame);
            server.flush().await.unwrap();
        }
        server.shutdown().await.unwrap();
        assert_eq!(reader.await.unwrap(), expected);
    }

    #[tokio::test(start_paused = true)]
    async fn a_dropped_connection_gives_up_on_a_client_that_does_not_read() {
        let (mut server, _client) = pair().await;
        let chunk = vec![7u8; 64 << 10];
        let stalled = tokio::time::timeout(Duration::from_secs(2), async {
            loop {
                server.write_all(&chunk).await.unwrap();
            }
        })
        .await;
        assert!(stalled.is_err(), "writes never waited");
        let shared = server.shared.clone();
        drop(server);
        tokio::time::sleep(LINGER / 2).await;
        assert!(!shared.lock().closed, "gave up before LINGER");
        tokio::time::sleep(LINGER).await;
        let state = shared.lock();
        assert!(state.closed, "the writer task still waits on a client that never reads");
        assert_eq!(state.failed.as_ref().map(|(kind, _)| *kind), Some(io::ErrorKind::TimedOut));
    }

    #[tokio::test]
    async fn a_client_that_does_not_read_makes_writes_wait_not_memory_grow() {
        let (mut server, client) = pair().await;
        let chunk = vec![7u8; 64 << 10];
        let mut accepted = 0usize;
        // The socket buffers fill, then the pending buffer reaches LIMIT: the write waits.
        let stalled = tokio::time::timeout(Duration::from_secs(2), async {
            loop {
                accepted += server.write(&chunk).await.unwrap();
            }
        })
        .await;
        assert!(stalled.is_err(), "writes never waited");
        assert!(server.shared.lock().pending.len() <= LIMIT + chunk.len());
        drop(client);
        // Once the peer is gone the error reaches the writer.
        let failed = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                if let Err(e) = server.write(&chunk).await {
                    return e;
                }
            }
        })
        .await
        .expect("the closed peer was never noticed");
        assert!(accepted > LIMIT);
        assert!(matches!(failed.kind(), io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe), "{failed}");
    }
}
