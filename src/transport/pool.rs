//! Idle connections kept for the next request to the same place, as Go's `http.Transport`
//! keeps them for Prometheus: every target of a job that shares a `host:port` (all the targets
//! behind one API server proxy) shares its connections instead of paying a TCP and TLS
//! handshake each. A reused connection carries the TLS facts of the handshake that opened it,
//! so every target still reports the chain it was served.
//!
//! Bounded three ways, because each idle connection holds a file descriptor and its buffers
//! (up to 64 KiB of read buffer, see `conn::READ_BUFFER_MAX`): per `host:port` of a transport,
//! per transport, and per process. The process-wide bound keeps a run with hundreds of jobs
//! below the usual limit of 1,024 open files (256 idle beside the default 64 in flight), and its
//! memory flat: a job's transport lives until its last probe ends. It must still hold what the
//! jobs being probed reuse: a fleet of 20 API servers probed 64 at a time keeps up to 8
//! connections per API server and job busy, and a bound of 64 made such a run reopen (and
//! handshake) 2,119 connections for its 6,000 targets instead of 572. Prometheus itself keeps
//! up to 1,000 idle connections per host and scrape pool.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};

use crate::transport::verifier::TlsFacts;

/// Idle connections kept per `host:port` of one transport.
const IDLE_PER_HOST: usize = 8;
/// Idle connections kept per transport (one job's HTTP client).
const IDLE_PER_TRANSPORT: usize = 32;
/// Idle connections kept by the whole process.
const IDLE_PER_PROCESS: usize = 256;

static IDLE_IN_PROCESS: AtomicUsize = AtomicUsize::new(0);

/// Where a connection leads: the request URL's scheme, host and port. The proxy, TLS settings
/// and credentials are the transport's own, so they need no place in the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Key {
    pub https: bool,
    pub host: String,
    pub port: u16,
}

/// hyper's handle for sending on one connection.
pub(crate) enum Sender {
    Http1(http1::SendRequest<Full<Bytes>>),
    Http2(http2::SendRequest<Full<Bytes>>),
}

/// Why a send failed, and whether the request may be sent again on a fresh connection.
pub(crate) struct SendError {
    pub error: hyper::Error,
    /// hyper gave the request back: it never reached the connection.
    pub not_sent: bool,
}

impl Sender {
    pub fn is_http2(&self) -> bool {
        matches!(self, Sender::Http2(_))
    }

    pub fn version(&self) -> &'static str {
        match self {
            Sender::Http1(_) => "HTTP/1.1",
            Sender::Http2(_) => "HTTP/2.0",
        }
    }

    fn is_ready(&self) -> bool {
        match self {
            Sender::Http1(s) => s.is_ready(),
            Sender::Http2(s) => s.is_ready(),
        }
    }

    fn is_closed(&self) -> bool {
        match self {
            Sender::Http1(s) => s.is_closed(),
            Sender::Http2(s) => s.is_closed(),
        }
    }

    pub async fn send(
        &mut self,
        request: hyper::Request<Full<Bytes>>,
    ) -> Result<hyper::Response<Incoming>, SendError> {
        let result = match self {
            Sender::Http1(s) => s.try_send_request(request).await,
            Sender::Http2(s) => s.try_send_request(request).await,
        };
        result.map_err(|mut e| SendError {
            not_sent: e.take_message().is_some(),
            error: e.into_error(),
        })
    }
}

/// A connection ready for requests, with the task that drives it (stopped when this is
/// dropped, which closes the socket).
pub(crate) struct Connection {
    pub sender: Sender,
    pub driver: tokio::task::JoinHandle<()>,
    /// The facts of the handshake that opened it (`None` over plain HTTP).
    pub tls: Option<TlsFacts>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

/// A pooled connection with its share of the process-wide count, given back on drop.
struct Counted(Option<Connection>);

impl Counted {
    fn admit(connection: Connection) -> Option<Counted> {
        let admitted = IDLE_IN_PROCESS
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < IDLE_PER_PROCESS).then_some(n + 1)
            })
            .is_ok();
        admitted.then_some(Counted(Some(connection)))
    }

    fn into_connection(mut self) -> Option<Connection> {
        self.0.take()
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        IDLE_IN_PROCESS.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The idle connections of one transport, most recently used last.
#[derive(Default)]
pub(crate) struct Pool {
    idle: Mutex<VecDeque<(Key, Counted)>>,
}

impl Pool {
    /// The most recently used idle connection to `key` that can take a request now. Closed or
    /// still-busy ones met on the way are dropped.
    pub fn take(&self, key: &Key) -> Option<Connection> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        while let Some(at) = idle.iter().rposition(|(k, _)| k == key) {
            let Some(connection) = idle.remove(at).and_then(|(_, c)| c.into_connection()) else {
                continue;
            };
            if connection.sender.is_ready() && !connection.sender.is_closed() {
                return Some(connection);
            }
        }
        None
    }

    /// Keeps a connection whose last response was read to its end. When a bound is reached the
    /// oldest idle connection of the transport (or this one, for the process-wide bound) goes.
    pub fn put(&self, key: Key, connection: Connection) {
        if connection.sender.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let same_host = idle.iter().filter(|(k, _)| *k == key).count();
        if same_host >= IDLE_PER_HOST {
            if let Some(at) = idle.iter().position(|(k, _)| *k == key) {
                idle.remove(at);
            }
        } else if idle.len() >= IDLE_PER_TRANSPORT {
            idle.pop_front();
        }
        if let Some(counted) = Counted::admit(connection) {
            idle.push_back((key, counted));
        }
    }
}
