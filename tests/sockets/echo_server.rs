//! The echo server survives hostile and careless clients (`examples/support/echo.rs`, run
//! in-process so its events can be watched): a connection over the limit is closed at once and
//! the others go on; idle connections are closed after the timeout, the log saying how they
//! stalled; a rejected header still delivers every earlier echo; buffers a large frame grew are
//! given back; a thread the OS refuses is a refused connection. (A closed stderr: see
//! `tests/examples.rs`, on the real binary. Scale: the ignored test at the end.)

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use lenframe::io::FrameReader;
use lenframe::{Codec, DecodeError};

use crate::echo;
use crate::echo::{Event, Limits, Stalled};

/// Longest a test waits for anything.
const TIMEOUT: Duration = Duration::from_secs(20);

/// An in-process server with these limits and this thread starter; its events on the channel.
fn server_with(limits: Limits, spawn: Box<echo::Spawn>) -> (SocketAddr, Receiver<Event>) {
    let listener = echo::listen("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().unwrap();
    let (events, rx) = mpsc::channel();
    thread::spawn(move || {
        echo::serve_with(
            &listener,
            &Codec::new(),
            limits,
            move |event| {
                let _ = events.send(event);
            },
            &*spawn,
        )
    });
    (addr, rx)
}

fn server(limits: Limits) -> (SocketAddr, Receiver<Event>) {
    server_with(limits, Box::new(echo::spawn_thread))
}

fn client(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(TIMEOUT)).unwrap();
    stream
}

fn frame(payload: &[u8]) -> Vec<u8> {
    let mut wire = bytes::BytesMut::new();
    Codec::new().encode(payload, &mut wire).unwrap();
    wire.to_vec()
}

/// Sends one frame and reads its echo.
fn round_trip(stream: &mut TcpStream, payload: &[u8]) {
    stream.write_all(&frame(payload)).unwrap();
    let mut echo = vec![0; 4 + payload.len()];
    stream.read_exact(&mut echo).unwrap();
    assert_eq!(echo, frame(payload));
}

/// The next event matching `wanted`, skipping others; fails after [`TIMEOUT`].
fn wait_for(events: &Receiver<Event>, wanted: impl Fn(&Event) -> bool) -> Event {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let event = events.recv_timeout(left).expect("the event in time");
        if wanted(&event) {
            return event;
        }
    }
}

/// Whether the server closed `stream` (end of stream or a reset), within [`TIMEOUT`].
fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut byte = [0u8; 1];
    match stream.read(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => matches!(
            e.kind(),
            io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
        ),
    }
}

#[test]
fn over_the_connection_limit_a_connection_is_closed_at_once_and_the_others_go_on() {
    let (addr, events) = server(Limits {
        max_connections: 2,
        ..Limits::default()
    });
    let (mut a, mut b) = (client(addr), client(addr));
    round_trip(&mut a, b"a");
    round_trip(&mut b, b"b");
    let mut c = client(addr);
    let c_addr = c.local_addr().unwrap();
    let refused = wait_for(&events, |e| matches!(e, Event::Refused { .. }));
    let Event::Refused { peer, reason } = refused else {
        unreachable!()
    };
    assert_eq!(peer, c_addr);
    assert_eq!(reason, "over the limit of 2 connections");
    assert!(closed_by_server(&mut c));
    // The two served go on; one gone, a new one is served.
    round_trip(&mut a, b"still here");
    drop(b);
    wait_for(&events, |e| matches!(e, Event::ClosedCleanly { .. }));
    let mut d = client(addr);
    round_trip(&mut d, b"d");
}

#[test]
fn idle_connections_are_closed_after_the_timeout_saying_how_they_stalled() {
    let timeout = Duration::from_secs(1);
    let (addr, events) = server(Limits {
        idle_timeout: timeout,
        ..Limits::default()
    });
    let start = Instant::now();
    let silent = client(addr);
    let mut half_header = client(addr);
    half_header.write_all(&[0, 0]).unwrap();
    let mut stalled_frame = client(addr);
    stalled_frame.write_all(b"\x00\x00\x00\x0Aabc").unwrap();
    let peers = [&silent, &half_header, &stalled_frame].map(|s| s.local_addr().unwrap());

    let mut seen = Vec::new();
    while seen.len() < 3 {
        let event = wait_for(&events, |e| matches!(e, Event::TimedOut { .. }));
        let Event::TimedOut { peer, stalled, .. } = event else {
            unreachable!()
        };
        let at = peers.iter().position(|&p| p == peer).expect("one of ours");
        seen.push((at, stalled.to_string()));
    }
    let elapsed = start.elapsed();
    assert!(elapsed >= timeout, "closed before the timeout: {elapsed:?}");
    println!("3 stalled connections closed {elapsed:?} after they connected (timeout {timeout:?})");
    seen.sort();
    assert_eq!(
        seen,
        [
            (0, "silent".to_owned()),
            (
                1,
                "stalled inside a header (2 bytes buffered, at least 4 needed)".to_owned()
            ),
            (
                2,
                "stalled inside a frame (7 bytes buffered of 14 expected)".to_owned()
            ),
        ]
    );
    for mut stream in [silent, half_header, stalled_frame] {
        assert!(closed_by_server(&mut stream));
    }
}

#[test]
fn a_peer_that_does_not_read_its_echoes_is_timed_out() {
    let (addr, events) = server(Limits {
        idle_timeout: Duration::from_secs(1),
        ..Limits::default()
    });
    let stream = client(addr);
    let sock = socket2::SockRef::from(&stream);
    sock.set_recv_buffer_size(4096).unwrap();
    // Send frames and never read: the echoes fill the client's receive buffer, then the
    // server's send buffer, and the server's writes stop moving.
    let mut writer = stream.try_clone().unwrap();
    writer
        .set_write_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let sender = thread::spawn(move || {
        let chunk = frame(&[7; 60_000]).repeat(16);
        let deadline = Instant::now() + TIMEOUT;
        while Instant::now() < deadline {
            if writer.write_all(&chunk).is_err() {
                return;
            }
        }
    });
    let event = wait_for(&events, |e| matches!(e, Event::TimedOut { .. }));
    let Event::TimedOut { stalled, .. } = event else {
        unreachable!()
    };
    assert!(
        matches!(stalled, Stalled::NotReading { pending, .. } if pending > 0),
        "{stalled}"
    );
    sender.join().unwrap();
}

/// A client that trickles its bytes never goes silent, so the idle timeout never closes it: the
/// header and frame timeouts do (the slowloris attack, and Apache's `mod_reqtimeout` answer).
#[test]
fn clients_that_trickle_bytes_are_closed_by_the_header_and_frame_timeouts() {
    let (addr, events) = server(Limits {
        max_connections: 2,
        idle_timeout: Duration::from_secs(60),
        header_timeout: Duration::from_secs(1),
        frame_timeout: Duration::from_secs(1),
        min_rate: 1000,
        ..Limits::default()
    });
    let mut slow_header = client(addr);
    let mut slow_frame = client(addr);
    let peers = [&slow_header, &slow_frame].map(|s| s.local_addr().unwrap());
    // A whole header announcing 4096 bytes, then the body a byte at a time; and a header a byte
    // at a time. Each byte comes well within the idle timeout.
    slow_frame.write_all(&4096u32.to_be_bytes()).unwrap();
    let trickle = thread::spawn(move || {
        let deadline = Instant::now() + TIMEOUT;
        for byte in [0u8, 0, 16].iter().cycle() {
            if Instant::now() > deadline
                || slow_header.write_all(&[*byte]).is_err()
                || slow_frame.write_all(&[1]).is_err()
            {
                break;
            }
            thread::sleep(Duration::from_millis(600));
        }
    });
    let mut stalled = Vec::new();
    while stalled.len() < 2 {
        let Event::TimedOut {
            peer, stalled: how, ..
        } = wait_for(&events, |e| matches!(e, Event::TimedOut { .. }))
        else {
            unreachable!()
        };
        stalled.push((peers.iter().position(|&p| p == peer).unwrap(), how));
    }
    stalled.sort_by_key(|(at, _)| *at);
    assert!(
        matches!(stalled[0].1, Stalled::HeaderTooSlow { buffered, after }
            if (1..=2).contains(&buffered) && after >= Duration::from_secs(1)),
        "{:?}",
        stalled[0].1
    );
    assert!(
        matches!(stalled[1].1, Stalled::FrameTooSlow { buffered, expected: 4100, after }
            if buffered < 4100 && after >= Duration::from_secs(1)),
        "{:?}",
        stalled[1].1
    );
    trickle.join().unwrap();
    // Both slots are free again: two new clients are served.
    let (mut a, mut b) = (client(addr), client(addr));
    round_trip(&mut a, b"a");
    round_trip(&mut b, b"b");
}

/// Large frames hold twice their length of a budget all connections share: a frame that does
/// not fit waits, then is refused after the frames before it are echoed; a frame that fits is
/// echoed whole, and what it held is free again afterwards.
#[test]
fn large_frames_beyond_the_shared_budget_wait_then_are_refused() {
    const LARGE: usize = 300 * 1024;
    let (addr, events) = server(Limits {
        header_timeout: Duration::from_secs(1),
        max_buffered: 1 << 20,
        ..Limits::default()
    });
    // The first client's frame fits (600 KiB of the 1 MiB budget); it sends half of it, then
    // holds its slot.
    let mut holder = client(addr);
    let holder_wire = frame(&vec![5; LARGE]);
    holder.write_all(&holder_wire[..LARGE / 2]).unwrap();
    thread::sleep(Duration::from_millis(200));
    // The second client's frame does not fit while the first holds its share.
    let mut refused = client(addr);
    round_trip(&mut refused, b"before");
    let refused_peer = refused.local_addr().unwrap();
    let _ = refused.write_all(&frame(&vec![6; LARGE]));
    let over = wait_for(&events, |e| matches!(e, Event::OverBudget { .. }));
    let Event::OverBudget {
        peer,
        frames,
        frame: wire,
        held,
        budget,
    } = over
    else {
        unreachable!()
    };
    assert_eq!(
        (peer, frames, wire, held, budget),
        (refused_peer, 1, LARGE + 4, 2 * (LARGE + 4), 1 << 20)
    );
    assert!(closed_by_server(&mut refused));
    // The first frame finishes and comes back whole.
    holder.write_all(&holder_wire[LARGE / 2..]).unwrap();
    let mut echo = vec![0; holder_wire.len()];
    holder.read_exact(&mut echo).unwrap();
    assert_eq!(echo, holder_wire);
    // Its share is free again: the same frame from a third client fits.
    let mut third = client(addr);
    round_trip(&mut third, &vec![7; LARGE]);
}

/// The slow readers of the budget's story: clients that send a large frame and never read its
/// echo hold at most the budget between them, the ones past it are refused, and the ones within
/// it are timed out for not reading. (The minimum rate is set high here: the bytes the kernel's
/// buffers take count as read, and at the default rate they would extend the deadline by hours.)
#[test]
fn clients_that_do_not_read_large_echoes_hold_at_most_the_budget() {
    const LARGE: usize = 8 << 20;
    let (addr, events) = server(Limits {
        header_timeout: Duration::from_secs(1),
        frame_timeout: Duration::from_secs(2),
        min_rate: 1 << 30,
        max_buffered: 40 << 20,
        ..Limits::default()
    });
    let wire = Arc::new(frame(&vec![3; LARGE]));
    let clients: Vec<TcpStream> = (0..4)
        .map(|_| {
            let stream = client(addr);
            socket2::SockRef::from(&stream)
                .set_recv_buffer_size(4096)
                .unwrap();
            let mut writer = stream.try_clone().unwrap();
            let wire = Arc::clone(&wire);
            thread::spawn(move || {
                let _ = writer.write_all(&wire);
            });
            stream
        })
        .collect();
    // Two frames fit (16 MiB each of the 40 MiB); the other two are refused.
    let mut refused = 0;
    let mut not_reading = 0;
    while refused + not_reading < 4 {
        match wait_for(&events, |e| {
            matches!(e, Event::OverBudget { .. } | Event::TimedOut { .. })
        }) {
            Event::OverBudget { held, budget, .. } => {
                assert_eq!(held, 2 * 2 * (LARGE + 4));
                assert_eq!(budget, 40 << 20);
                refused += 1;
            }
            Event::TimedOut { stalled, .. } => {
                assert!(
                    matches!(stalled, Stalled::NotReading { pending, .. } if pending > 0),
                    "{stalled}"
                );
                not_reading += 1;
            }
            _ => unreachable!(),
        }
    }
    assert_eq!((refused, not_reading), (2, 2));
    drop(clients);
}

#[test]
fn a_rejected_header_still_delivers_every_earlier_echo() {
    const FRAMES: usize = 3000;
    let (addr, events) = server(Limits::default());
    // A small receive buffer: the echoes wait in the server's send queue, which a reset would
    // drop.
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(&addr.into()).unwrap();
    let mut stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(TIMEOUT)).unwrap();
    let mut wire = Vec::new();
    for i in 0..FRAMES {
        wire.extend_from_slice(&frame(&[(i % 251) as u8; 1000]));
    }
    wire.extend_from_slice(&0x8000_0000u32.to_be_bytes()); // 2 GiB: over the limit
    wire.extend_from_slice(&[0xAB; 200_000]);
    // As the tutorial's client does: everything sent first, then the replies read, so that
    // the echoes wait in the socket buffers while the server closes. (The server may close
    // before it has read everything: a failed write is expected then.)
    let _ = stream.write_all(&wire);
    let mut reader = FrameReader::new(stream);
    let mut echoed = 0;
    loop {
        match reader.read_frame() {
            Ok(Some(echo)) => {
                assert_eq!(
                    &echo[..],
                    &[(echoed % 251) as u8; 1000][..],
                    "echo {echoed}"
                );
                echoed += 1;
            }
            Ok(None) => break,
            Err(e) => panic!("after {echoed} echoes: {e}"),
        }
    }
    assert_eq!(echoed, FRAMES, "every echo before the bad header");
    let rejected = wait_for(&events, |e| matches!(e, Event::Rejected { .. }));
    let Event::Rejected { frames, error, .. } = rejected else {
        unreachable!()
    };
    assert_eq!(frames, FRAMES as u64);
    assert!(
        matches!(error, DecodeError::FrameTooLarge { .. }),
        "{error}"
    );
}

/// The same, with the tutorial's own client: Python's `sendall`, then `recv` until the end. A
/// server that closes with the client's bytes unread makes the kernel reset the connection and
/// drop the echoes still queued (1953 and 805 of 3000 arrived, with a default and a 4 KiB
/// receive buffer, before the server drained); the reset shows as `ConnectionResetError`.
#[test]
fn a_rejected_header_still_delivers_every_echo_to_the_tutorials_client() {
    let script = r#"
import socket, struct, sys
port, rcvbuf = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket()
if rcvbuf: s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
s.connect(("127.0.0.1", port))
data = b"".join(struct.pack("!I", 1000) + bytes([i % 251]) * 1000 for i in range(3000))
data += struct.pack("!I", 0x80000000) + b"\xab" * 200000
try:
    s.sendall(data)
except OSError:
    pass
got = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    got += chunk
print(len(got) // 1004)
"#;
    match std::process::Command::new("python3")
        .arg("--version")
        .output()
    {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            eprintln!("python3 not found: the Rust client above checks the same");
            return;
        }
        other => assert!(other.expect("run python3").status.success()),
    }
    let (addr, _events) = server(Limits::default());
    for rcvbuf in ["0", "4096"] {
        let out = std::process::Command::new("python3")
            .args(["-c", script, &addr.port().to_string(), rcvbuf])
            .output()
            .expect("run python3");
        assert!(
            out.status.success(),
            "receive buffer {rcvbuf}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "3000",
            "receive buffer {rcvbuf}"
        );
    }
}

#[test]
fn buffers_grown_by_a_large_frame_are_released_when_idle() {
    let (addr, events) = server(Limits::default());
    let mut stream = client(addr);
    let big = vec![9u8; 4 << 20];
    let mut writer = stream.try_clone().unwrap();
    let wire = frame(&big);
    let sender = thread::spawn(move || writer.write_all(&wire).unwrap());
    let mut echo = vec![0; 4 + big.len()];
    stream.read_exact(&mut echo).unwrap();
    sender.join().unwrap();
    assert_eq!(&echo[4..], &big[..]);
    let released = wait_for(&events, |e| matches!(e, Event::BuffersReleased { .. }));
    let Event::BuffersReleased { bytes, .. } = released else {
        unreachable!()
    };
    assert!(bytes >= 4 << 20, "{bytes} bytes released");
    // And the connection goes on with small buffers.
    round_trip(&mut stream, b"small again");
}

#[test]
fn a_burst_of_connects_waits_in_the_accept_queue_rather_than_being_dropped() {
    // std's `TcpListener::bind` queues 128: the 130th connect to a listener that is not
    // accepting yet gets its SYN dropped, and never completes while nothing is accepted.
    let listener = echo::listen("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let queued: Vec<TcpStream> = (0..1000)
        .map(|i| {
            TcpStream::connect_timeout(&addr, TIMEOUT).unwrap_or_else(|e| {
                panic!(
                    "connect {i} with none accepted yet: {e} (is net.core.somaxconn below 1000?)"
                )
            })
        })
        .collect();
    // Every one of them is then served.
    listener.set_nonblocking(true).unwrap();
    let accepted = std::iter::from_fn(|| listener.accept().ok()).count();
    assert_eq!(accepted, queued.len());
}

#[test]
fn a_refused_thread_is_a_refused_connection_and_the_server_goes_on() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let spawn = move |work: Box<dyn FnOnce() + Send>| {
        if counted.fetch_add(1, Ordering::SeqCst) == 0 {
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                "Resource temporarily unavailable",
            ));
        }
        echo::spawn_thread(work)
    };
    let (addr, events) = server_with(Limits::default(), Box::new(spawn));
    let mut first = client(addr);
    let refused = wait_for(&events, |e| matches!(e, Event::Refused { .. }));
    assert_eq!(
        refused.to_string(),
        format!(
            "{}: refused: no thread for it: Resource temporarily unavailable",
            first.local_addr().unwrap()
        )
    );
    assert!(closed_by_server(&mut first));
    let mut second = client(addr);
    round_trip(&mut second, b"served");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

/// Scale, by hand: 10 000 idle connections held while 64 clients each get 1000 checksummed
/// frames echoed, against the real binary (its own process: the file-descriptor limit is per
/// process); prints the server's RSS. `cargo test --release --test echo_server -- --ignored
/// --nocapture`
#[test]
#[ignore = "opens 10 000 connections; run by hand"]
fn ten_thousand_idle_connections_while_64_clients_echo() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};

    const IDLE: usize = 10_000;
    const ACTIVE: usize = 64;
    const FRAMES: usize = 1000;
    let exe = std::env::current_exe().unwrap();
    let binary = exe
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .join("examples/echo_server");
    let mut server = Command::new(&binary)
        .args(["--listen", "127.0.0.1:0", "--max-connections", "20000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e} (cargo test builds it)", binary.display()));
    let mut line = String::new();
    io::BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr: SocketAddr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .parse()
        .unwrap();
    let rss = |pid: u32| -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
            .unwrap()
    };
    let start = Instant::now();
    let idle: Vec<TcpStream> = (0..IDLE)
        .map(|_| TcpStream::connect(addr).unwrap())
        .collect();
    // Each idle connection echoes one frame: it is being served, not waiting in the backlog.
    for (i, stream) in idle.iter().enumerate().step_by(100) {
        let mut stream = stream;
        let payload = (i as u32).to_be_bytes();
        stream.write_all(&frame(&payload)).unwrap();
        let mut echo = [0; 8];
        stream.read_exact(&mut echo).unwrap();
        assert_eq!(&echo[4..], &payload);
    }
    let held = start.elapsed();
    let idle_rss = rss(server.id());
    let clients: Vec<_> = (0..ACTIVE)
        .map(|c| {
            thread::spawn(move || {
                let mut stream = TcpStream::connect(addr).unwrap();
                let mut writer = stream.try_clone().unwrap();
                let sender = thread::spawn(move || {
                    for i in 0..FRAMES {
                        let len = 1 + (c * 7919 + i * 104_729) % 4096;
                        let payload: Vec<u8> = (0..len).map(|j| (i + j + c) as u8).collect();
                        writer.write_all(&frame(&payload)).unwrap();
                    }
                });
                let mut reader = FrameReader::new(&mut stream);
                for i in 0..FRAMES {
                    let len = 1 + (c * 7919 + i * 104_729) % 4096;
                    let echo = reader.read_frame().unwrap().expect("an echo");
                    assert!(echo
                        .iter()
                        .enumerate()
                        .all(|(j, &b)| b == (i + j + c) as u8));
                    assert_eq!(echo.len(), len);
                }
                sender.join().unwrap();
            })
        })
        .collect();
    let mut peak = idle_rss;
    while clients.iter().any(|c| !c.is_finished()) {
        peak = peak.max(rss(server.id()));
        thread::sleep(Duration::from_millis(50));
    }
    for c in clients {
        c.join().unwrap();
    }
    println!(
        "{IDLE} idle connections held in {held:?}; server RSS {} MiB idle, {} MiB at most while \
         {ACTIVE} clients echoed {FRAMES} frames each, intact",
        idle_rss / 1024,
        peak / 1024
    );
    assert!(
        server.try_wait().unwrap().is_none(),
        "the server is still up"
    );
    let _ = server.kill();
    let _ = server.wait();
    drop(idle);
}
