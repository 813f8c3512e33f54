//! A fault-injecting TCP proxy for tests: sits between a client and DynamoDB Local on
//! loopback, and can drop responses after the request went through, delay responses, or be
//! pointed at a new upstream (after a container restart changed its port).
//!
//! It works on bytes, not HTTP: a "response" is the first chunk the upstream sends after
//! the client sent something. That is enough here, since DynamoDB answers only after it has
//! processed the request: dropping that chunk (and closing the connection) is exactly a
//! lost response to an applied request.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

#[derive(Debug)]
struct Faults {
    upstream: Mutex<SocketAddr>,
    /// Chance, in thousandths, that a response is dropped and its connection closed.
    drop_per_mille: AtomicU32,
    /// Delay added before each response is forwarded.
    latency_ms: AtomicU64,
    dropped: AtomicU64,
    forwarded: AtomicU64,
}

/// A running proxy; stops when dropped.
#[derive(Debug)]
pub struct FaultProxy {
    address: SocketAddr,
    faults: Arc<Faults>,
    accept: JoinHandle<()>,
}

impl FaultProxy {
    /// Listens on a free loopback port and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let faults = Arc::new(Faults {
            upstream: Mutex::new(upstream),
            drop_per_mille: AtomicU32::new(0),
            latency_ms: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            forwarded: AtomicU64::new(0),
        });
        let shared = Arc::clone(&faults);
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(relay(client, Arc::clone(&shared)));
            }
        });
        Ok(Self {
            address,
            faults,
            accept,
        })
    }

    /// `http://<address>`, for the SDK's endpoint.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Sends new connections to `upstream` from now on.
    pub fn set_upstream(&self, upstream: SocketAddr) {
        if let Ok(mut current) = self.faults.upstream.lock() {
            *current = upstream;
        }
    }

    /// Drops each response with probability `fraction` (0.0 to 1.0).
    pub fn drop_responses(&self, fraction: f64) {
        let per_mille = (fraction.clamp(0.0, 1.0) * 1000.0).round() as u32;
        self.faults
            .drop_per_mille
            .store(per_mille, Ordering::SeqCst);
    }

    /// Delays every response by `latency`.
    pub fn delay_responses(&self, latency: Duration) {
        let millis = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
        self.faults.latency_ms.store(millis, Ordering::SeqCst);
    }

    /// Responses dropped so far.
    pub fn dropped(&self) -> u64 {
        self.faults.dropped.load(Ordering::SeqCst)
    }

    /// Responses forwarded so far.
    pub fn forwarded(&self) -> u64 {
        self.faults.forwarded.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn relay(client: TcpStream, faults: Arc<Faults>) {
    let upstream = match faults.upstream.lock() {
        Ok(address) => *address,
        Err(_) => return,
    };
    let Ok(server) = TcpStream::connect(upstream).await else {
        return; // The client sees its connection closed, as with a dead server.
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let awaiting_response = Arc::new(AtomicBool::new(false));

    let requested = Arc::clone(&awaiting_response);
    let upward = tokio::spawn(async move {
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            match client_read.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    requested.store(true, Ordering::SeqCst);
                    if server_write.write_all(&buffer[..n]).await.is_err() {
                        break;
                    }
                }
            }
        }
        let _ = server_write.shutdown().await;
    });

    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = match server_read.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if awaiting_response.swap(false, Ordering::SeqCst) {
            let latency = faults.latency_ms.load(Ordering::SeqCst);
            if latency > 0 {
                tokio::time::sleep(Duration::from_millis(latency)).await;
            }
            let drop_chance = faults.drop_per_mille.load(Ordering::SeqCst);
            if drop_chance > 0 && rand::rng().random_range(0..1000) < drop_chance {
                faults.dropped.fetch_add(1, Ordering::SeqCst);
                break; // Close both ways: the request was applied, its answer is lost.
            }
            faults.forwarded.fetch_add(1, Ordering::SeqCst);
        }
        if client_write.write_all(&buffer[..n]).await.is_err() {
            break;
        }
    }
    upward.abort();
}
