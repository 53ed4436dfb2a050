//! [`Proxy`]: a segmenting TCP proxy. It stands between a client and a program under test, on
//! loopback, and re-cuts the byte stream of each direction by a [`Plan`], so that a program
//! linked into no test, written in any language, sees its bytes arrive merged and split as the
//! plan says, the same way on every run.
//!
//! # How a planned chunk becomes one read
//!
//! Writing the chunks one after the other is not enough: TCP merges what the reader has not
//! read yet, so two chunks written a millisecond apart often arrive as one read. The proxy
//! writes a chunk (with `TCP_NODELAY`, so the kernel sends it at once), then waits until the far
//! end has read all of it before it writes the next one. On Linux, that is visible from any
//! process on the host: `/proc/net/tcp` lists every TCP socket with its send queue (bytes not
//! yet acknowledged) and its receive queue (bytes not yet read by the program). The chunk has
//! been read when the proxy's socket has nothing unacknowledged and the far end's socket has
//! nothing unread. That file needs no privilege, no `unsafe` and no dependency (`sock_diag`
//! netlink gives the same numbers through a raw socket); reading it costs tens of microseconds
//! with a few hundred sockets. Elsewhere the proxy waits a fixed 5 ms instead, best effort.
//!
//! The wait is bounded: a program that stops reading with part of a chunk unread is recorded
//! ([`Proxy::stalls`]), and the proxy goes on.

use std::fs;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::testkit::plan::Plan;

/// Longest the proxy waits for the far end to read a chunk.
const READ_WAIT: Duration = Duration::from_secs(2);

/// How long a read from one side may block before the proxy looks whether it is stopped.
const POLL: Duration = Duration::from_millis(50);

/// A segmenting TCP proxy on loopback: every connection it accepts is forwarded to `upstream`,
/// the client's bytes delivered in the chunks of one plan (each chunk one read at the server),
/// the server's bytes in the chunks of another. A plan's `truncate` closes that direction after
/// so many bytes. Dropping the proxy stops it.
///
/// ```
/// use std::io::{Read, Write};
/// use std::net::{TcpListener, TcpStream};
/// use lenframe::testkit::{Plan, Proxy};
///
/// // A server that records the size of each read.
/// let server = TcpListener::bind("127.0.0.1:0")?;
/// let upstream = server.local_addr()?;
/// let recorder = std::thread::spawn(move || {
///     let (mut conn, _) = server.accept().unwrap();
///     let (mut reads, mut buf) = (Vec::new(), [0u8; 64]);
///     loop {
///         match conn.read(&mut buf).unwrap() {
///             0 => return reads,
///             n => reads.push(n),
///         }
///     }
/// });
/// let proxy = Proxy::start(upstream, Plan::at(&[1, 4]), Plan::default())?;
/// let mut client = TcpStream::connect(proxy.addr())?;
/// client.write_all(b"hellojason")?; // one write: three reads at the server
/// drop(client);
/// assert_eq!(recorder.join().unwrap(), [1, 3, 6]);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Proxy {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    stalls: Arc<AtomicUsize>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accepting: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("addr", &self.addr)
            .field("stalls", &self.stalls())
            .finish_non_exhaustive()
    }
}

impl Proxy {
    /// A proxy on `127.0.0.1` (a free port) to `upstream`: the client's bytes reach the server
    /// in `to_server`'s chunks, the server's reach the client in `to_client`'s. After a plan's
    /// explicit chunks come chunks of `then_every` bytes, or (0) whatever has arrived.
    ///
    /// # Errors
    ///
    /// When the proxy cannot listen.
    pub fn start(upstream: SocketAddr, to_server: Plan, to_client: Plan) -> io::Result<Proxy> {
        Proxy::listen(
            "127.0.0.1:0".parse().expect("an address"),
            upstream,
            to_server,
            to_client,
        )
    }

    /// [`Proxy::start`], listening on `listen`.
    ///
    /// # Errors
    ///
    /// When the proxy cannot listen there.
    pub fn listen(
        listen: SocketAddr,
        upstream: SocketAddr,
        to_server: Plan,
        to_client: Plan,
    ) -> io::Result<Proxy> {
        let listener = TcpListener::bind(listen)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let stalls = Arc::new(AtomicUsize::new(0));
        let connections = Arc::new(Mutex::new(Vec::new()));
        let accepting = {
            let (stop, stalls, connections) = (
                Arc::clone(&stop),
                Arc::clone(&stalls),
                Arc::clone(&connections),
            );
            thread::Builder::new()
                .name("proxy-accept".to_owned())
                .spawn(move || {
                    for client in listener.incoming() {
                        if stop.load(Ordering::Acquire) {
                            return;
                        }
                        let Ok(client) = client else { continue };
                        let Ok(server) = TcpStream::connect(upstream) else {
                            drop(client);
                            continue;
                        };
                        let pumps = Connection {
                            stop: Arc::clone(&stop),
                            stalls: Arc::clone(&stalls),
                        }
                        .forward(
                            client,
                            server,
                            to_server.clone(),
                            to_client.clone(),
                        );
                        if let Ok(mut held) = connections.lock() {
                            held.extend(pumps);
                        }
                    }
                })?
        };
        Ok(Proxy {
            addr,
            stop,
            stalls,
            connections,
            accepting: Some(accepting),
        })
    }

    /// Where clients connect.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Chunks the far end did not finish reading within the proxy's wait (2 s): a program
    /// that stopped reading.
    #[must_use]
    pub fn stalls(&self) -> usize {
        self.stalls.load(Ordering::Acquire)
    }

    /// Waits until every connection accepted so far has ended in both directions.
    pub fn wait(&self) {
        let pumps: Vec<JoinHandle<()>> = match self.connections.lock() {
            Ok(mut held) => held.drain(..).collect(),
            Err(_) => Vec::new(),
        };
        for pump in pumps {
            let _ = pump.join();
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wakes the accepting thread, which sees `stop`.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(accepting) = self.accepting.take() {
            let _ = accepting.join();
        }
        self.wait();
    }
}

/// What the pumps of one connection share with the proxy.
struct Connection {
    stop: Arc<AtomicBool>,
    stalls: Arc<AtomicUsize>,
}

impl Connection {
    /// Starts both directions' pumps.
    fn forward(
        self,
        client: TcpStream,
        server: TcpStream,
        to_server: Plan,
        to_client: Plan,
    ) -> Vec<JoinHandle<()>> {
        let mut pumps = Vec::new();
        let this = Arc::new(self);
        for (from, to, plan) in [
            (client.try_clone(), server.try_clone(), to_server),
            (server.try_clone(), client.try_clone(), to_client),
        ] {
            let (Ok(from), Ok(to)) = (from, to) else {
                continue;
            };
            let this = Arc::clone(&this);
            if let Ok(pump) = thread::Builder::new()
                .name("proxy-pump".to_owned())
                .spawn(move || this.pump(from, to, &plan))
            {
                pumps.push(pump);
            }
        }
        pumps
    }

    /// Moves `from`'s bytes to `to` in `plan`'s chunks until `from` ends (or the plan's
    /// truncation point), then shuts `to`'s writing side.
    fn pump(&self, mut from: TcpStream, mut to: TcpStream, plan: &Plan) {
        let _ = to.set_nodelay(true);
        let _ = from.set_read_timeout(Some(POLL));
        let mut chunks = Chunks::new(plan);
        let mut pending: Vec<u8> = Vec::new();
        let mut sent = 0usize;
        let mut ended = false;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            // Deliver every chunk that is whole in `pending` (at the end, what is left).
            while let Some(n) = chunks.next_len(pending.len(), ended) {
                let n = match plan.truncate {
                    Some(at) => n.min(at.saturating_sub(sent)),
                    None => n,
                };
                if n == 0 {
                    let _ = to.shutdown(Shutdown::Write);
                    return;
                }
                if to.write_all(&pending[..n]).is_err() {
                    return;
                }
                pending.drain(..n);
                sent += n;
                if !read_by_far_end(&to, READ_WAIT) {
                    self.stalls.fetch_add(1, Ordering::AcqRel);
                }
                if plan.truncate == Some(sent) {
                    let _ = to.shutdown(Shutdown::Write);
                    return;
                }
            }
            if ended || self.stop.load(Ordering::Acquire) {
                let _ = to.shutdown(Shutdown::Write);
                return;
            }
            match from.read(&mut buf) {
                Ok(0) => ended = true,
                Ok(n) => pending.extend_from_slice(&buf[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                            | io::ErrorKind::Interrupted
                    ) => {}
                Err(_) => ended = true,
            }
        }
    }
}

/// A plan's chunk lengths, as a stream of unknown length goes by.
struct Chunks<'a> {
    plan: &'a Plan,
    next: usize,
}

impl<'a> Chunks<'a> {
    fn new(plan: &'a Plan) -> Chunks<'a> {
        Chunks { plan, next: 0 }
    }

    /// The length of the next chunk to send with `pending` bytes in hand, or `None` to wait
    /// for more; at the end of the stream, what is left goes as the last chunk.
    fn next_len(&mut self, pending: usize, ended: bool) -> Option<usize> {
        if pending == 0 {
            return None;
        }
        let planned = match self.plan.chunks.get(self.next) {
            Some(&n) => n.max(1),
            None if self.plan.then_every > 0 => self.plan.then_every,
            // After the plan: whatever has arrived.
            None => pending,
        };
        if planned <= pending || ended {
            self.next += 1;
            Some(planned.min(pending))
        } else {
            None
        }
    }
}

/// Whether the far end of `stream` has read everything sent to it: the proxy's socket has
/// nothing unacknowledged and the far end's nothing unread (`/proc/net/tcp`). Waits up to
/// `wait`; `false` if it still has not. Where `/proc/net/tcp` is missing, waits 5 ms and says
/// yes.
pub(crate) fn read_by_far_end(stream: &TcpStream, wait: Duration) -> bool {
    let (Ok(local), Ok(peer)) = (stream.local_addr(), stream.peer_addr()) else {
        return true;
    };
    let deadline = Instant::now() + wait;
    let mut spins = 0u32;
    loop {
        match queues(local, peer) {
            None => {
                thread::sleep(Duration::from_millis(5));
                return true;
            }
            Some(Queues {
                unacked: 0,
                unread: 0,
            }) => return true,
            Some(_) if Instant::now() >= deadline => return false,
            Some(_) => {
                spins += 1;
                if spins < 50 {
                    thread::yield_now();
                } else {
                    thread::sleep(Duration::from_micros(200));
                }
            }
        }
    }
}

/// The queues of one connection, from both ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Queues {
    /// Bytes `local` sent that `peer` has not acknowledged.
    unacked: usize,
    /// Bytes that reached `peer`'s socket and its program has not read. (A peer that closed
    /// has no socket left: nothing unread.)
    unread: usize,
}

/// The queues of the connection from `local` to `peer`, read from `/proc/net/tcp` (or
/// `tcp6`); `None` where the file is missing or `local`'s socket is not listed.
fn queues(local: SocketAddr, peer: SocketAddr) -> Option<Queues> {
    let file = if local.is_ipv4() {
        "/proc/net/tcp"
    } else {
        "/proc/net/tcp6"
    };
    let table = fs::read_to_string(file).ok()?;
    let (ours, theirs) = (hex_addr(local), hex_addr(peer));
    let mut unacked = None;
    let mut unread = 0;
    for line in table.lines().skip(1) {
        let mut fields = line.split_whitespace().skip(1);
        let (Some(l), Some(r), Some(_state), Some(q)) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let (tx, rx) = q.split_once(':')?;
        if l == ours && r == theirs {
            unacked = usize::from_str_radix(tx, 16).ok();
        } else if l == theirs && r == ours {
            unread = usize::from_str_radix(rx, 16).ok()?;
        }
    }
    Some(Queues {
        unacked: unacked?,
        unread,
    })
}

/// An address as `/proc/net/tcp` writes it: the IP's bytes as a little-endian hex number (for
/// IPv6, four of them), a colon, the port in hex.
fn hex_addr(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(v4) => format!(
            "{:08X}:{:04X}",
            u32::from_le_bytes(v4.ip().octets()),
            v4.port()
        ),
        SocketAddr::V6(v6) => {
            let mut out = String::with_capacity(37);
            for word in v6.ip().octets().chunks(4) {
                let word: [u8; 4] = word.try_into().expect("16 bytes in fours");
                out.push_str(&format!("{:08X}", u32::from_le_bytes(word)));
            }
            out.push_str(&format!(":{:04X}", v6.port()));
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_written_as_proc_net_tcp_writes_them() {
        let addr: SocketAddr = "127.0.0.1:8008".parse().unwrap();
        assert_eq!(hex_addr(addr), "0100007F:1F48");
    }

    #[test]
    fn chunks_follow_the_plan_then_take_what_arrived() {
        let plan = Plan::at(&[2, 5]);
        let mut chunks = Chunks::new(&plan);
        assert_eq!(chunks.next_len(1, false), None);
        assert_eq!(chunks.next_len(4, false), Some(2));
        assert_eq!(chunks.next_len(2, false), None);
        assert_eq!(chunks.next_len(3, false), Some(3));
        assert_eq!(chunks.next_len(7, false), Some(7));
        let every = Plan::every_byte();
        let mut chunks = Chunks::new(&every);
        assert_eq!(chunks.next_len(3, false), Some(1));
        let plan = Plan::at(&[4]);
        let mut chunks = Chunks::new(&plan);
        assert_eq!(
            chunks.next_len(3, true),
            Some(3),
            "the end sends what is left"
        );
    }

    #[test]
    fn a_connection_s_queues_are_found_from_either_end() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        client.write_all(b"hello").unwrap();
        let local = client.local_addr().unwrap();
        let peer = client.peer_addr().unwrap();
        let Some(mut seen) = queues(local, peer) else {
            eprintln!("no /proc/net/tcp: nothing to check");
            return;
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while seen.unread != 5 && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(1));
            seen = queues(local, peer).unwrap();
        }
        assert_eq!(seen.unread, 5, "five bytes wait in the server's socket");
        let mut buf = [0u8; 5];
        server.read_exact(&mut buf).unwrap();
        assert!(read_by_far_end(&client, Duration::from_secs(5)));
    }
}
