//! The echo server of `examples/echo_server.rs` over real TCP on 127.0.0.1 (the same code, run
//! in-process so its events can be watched), every wait bounded by a timeout: 64 concurrent
//! clients with checksummed frames, clients that vanish mid-header or mid-body or reset the
//! connection, an oversize header, a Python client written the tutorial's way, a tokio `Framed`
//! client; a restarted server binds its port again (`SO_REUSEADDR`); its flags are the builder's
//! names. (Hostile and careless clients, limits and timeouts: `echo_server.rs`.)

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::sync::mpsc::{self, Receiver};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use lenframe::io::{FrameReader, FrameWriter};
use lenframe::{Codec, DecodeError};

use crate::echo;
use crate::echo::Event;

use lenframe_support::rng::Rng;

/// How long any single wait may take before the test fails instead of hanging.
const TIMEOUT: Duration = Duration::from_secs(60);

/// The echo server of `examples/echo_server.rs` on an ephemeral loopback port, its events sent
/// to the returned channel.
fn start_echo_server(codec: Codec) -> (SocketAddr, Receiver<Event>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().unwrap();
    let (events, rx) = mpsc::channel();
    thread::spawn(move || {
        echo::serve(&listener, &codec, echo::Limits::default(), move |event| {
            let _ = events.send(event);
        })
    });
    (addr, rx)
}

/// The peer whose connection `event` ends; `None` for other events.
fn ended(event: &Event) -> Option<SocketAddr> {
    match event {
        Event::ClosedCleanly { peer, .. }
        | Event::ClosedMidFrame { peer, .. }
        | Event::Rejected { peer, .. }
        | Event::Failed { peer, .. } => Some(*peer),
        Event::Refused { peer, .. }
        | Event::TimedOut { peer, .. }
        | Event::OverBudget { peer, .. } => Some(*peer),
        Event::Connected { .. } | Event::BuffersReleased { .. } | Event::AcceptFailed { .. } => {
            None
        }
    }
}

/// Waits for the events that end the connections of `peers`, and returns them in that order.
/// Events of other connections fail the test: each test has its own server.
fn ends(events: &Receiver<Event>, peers: &[SocketAddr]) -> Vec<Event> {
    let mut found: Vec<Option<Event>> = peers.iter().map(|_| None).collect();
    while found.iter().any(Option::is_none) {
        let event = events.recv_timeout(TIMEOUT).expect("a server event");
        if let Some(peer) = ended(&event) {
            let i = peers.iter().position(|&p| p == peer);
            let i = i.unwrap_or_else(|| panic!("an unexpected connection: {event}"));
            assert!(found[i].is_none(), "{peer} ended twice");
            found[i] = Some(event);
        } else if let Event::AcceptFailed { .. } = event {
            panic!("{event}");
        }
    }
    found.into_iter().flatten().collect()
}

/// [`ends`] for one connection.
fn end_of(events: &Receiver<Event>, peer: SocketAddr) -> Event {
    ends(events, &[peer]).pop().unwrap()
}

fn client(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(TIMEOUT)).unwrap();
    stream
}

/// A checked payload: sequence number, client id, FNV-1a of the filler, then the filler.
const CHECKED_HEAD: usize = 10;

fn fnv1a(data: &[u8]) -> u32 {
    data.iter().fold(0x811c_9dc5, |hash, &b| {
        (hash ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// Frame lengths for one client: `CHECKED_HEAD` to 64 KiB, log-uniform (most small, some
/// large), deterministic per client.
fn checked_lengths(client: u16, count: usize) -> Vec<usize> {
    let mut rng = Rng::new(u64::from(client) + 100);
    (0..count)
        .map(|_| {
            let bound = 1 << rng.below(17); // 1 to 64 Ki
            (CHECKED_HEAD + rng.below(bound)).min(64 * 1024)
        })
        .collect()
}

fn checked_payload(client: u16, seq: u32, len: usize, noise: &[u8]) -> Vec<u8> {
    let start = usize::try_from(seq).unwrap() * 7919 % (noise.len() - len);
    let filler = &noise[start..start + len - CHECKED_HEAD];
    let mut frame = Vec::with_capacity(len);
    frame.extend_from_slice(&seq.to_be_bytes());
    frame.extend_from_slice(&client.to_be_bytes());
    frame.extend_from_slice(&fnv1a(filler).to_be_bytes());
    frame.extend_from_slice(filler);
    frame
}

fn assert_checked(frame: &[u8], client: u16, seq: u32, len: usize) {
    assert_eq!(frame.len(), len, "client {client}, frame {seq}: length");
    assert_eq!(
        frame[..4],
        seq.to_be_bytes(),
        "client {client}: out of order"
    );
    assert_eq!(
        frame[4..6],
        client.to_be_bytes(),
        "frame {seq}: another client's"
    );
    let sum = u32::from_be_bytes(frame[6..10].try_into().unwrap());
    assert_eq!(
        fnv1a(&frame[CHECKED_HEAD..]),
        sum,
        "client {client}, frame {seq}: corrupted"
    );
}

/// Random bytes that checked payloads are cut from: 128 KiB.
fn noise() -> Arc<Vec<u8>> {
    let mut rng = Rng::new(7);
    Arc::new(
        (0..128 * 1024)
            .map(|_| rng.next_u64().to_le_bytes()[0])
            .collect(),
    )
}

/// One echo client: a writer thread sends `count` checked frames through `FrameWriter` while this
/// thread reads the echoes through `FrameReader` and checks each; then a clean end both ways.
/// Returns the client's address and the payload bytes echoed.
fn echo_checked(
    addr: SocketAddr,
    id: u16,
    count: usize,
    noise: Arc<Vec<u8>>,
) -> (SocketAddr, usize) {
    let stream = client(addr);
    let local = stream.local_addr().unwrap();
    let lengths = checked_lengths(id, count);
    let sent = lengths.clone();
    let mut writer = FrameWriter::new(stream.try_clone().unwrap());
    let sender = thread::spawn(move || -> io::Result<()> {
        for (seq, &len) in sent.iter().enumerate() {
            writer.write_frame(&checked_payload(
                id,
                u32::try_from(seq).unwrap(),
                len,
                &noise,
            ))?;
        }
        writer.flush()?;
        writer.get_ref().shutdown(Shutdown::Write)
    });
    let mut reader = FrameReader::new(stream);
    for (seq, &len) in lengths.iter().enumerate() {
        let frame = reader
            .read_frame()
            .unwrap()
            .expect("an echo for every frame");
        assert_checked(&frame, id, u32::try_from(seq).unwrap(), len);
    }
    assert_eq!(
        reader.read_frame().unwrap(),
        None,
        "a clean end after the echoes"
    );
    sender.join().unwrap().unwrap();
    (local, lengths.iter().sum())
}

#[test]
fn sixty_four_concurrent_clients_get_every_frame_back_intact_and_in_order() {
    const CLIENTS: u16 = 64;
    const FRAMES: usize = 1000;
    let (addr, events) = start_echo_server(Codec::new());
    let noise = noise();
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|id| {
            let noise = Arc::clone(&noise);
            thread::spawn(move || echo_checked(addr, id, FRAMES, noise))
        })
        .collect();
    let mut bytes = 0;
    let mut peers = Vec::new();
    for client in clients {
        let (peer, echoed) = client.join().unwrap();
        bytes += echoed;
        peers.push(peer);
    }
    let elapsed = started.elapsed();
    eprintln!(
        "{CLIENTS} clients x {FRAMES} frames: {} frames, {bytes} payload bytes echoed in {elapsed:?}",
        usize::from(CLIENTS) * FRAMES
    );
    for event in ends(&events, &peers) {
        match event {
            Event::ClosedCleanly { frames, .. } => assert_eq!(frames, 1000),
            other => panic!("{other}"),
        }
    }
}

#[test]
fn clients_that_vanish_mid_header_or_mid_body_are_reported_and_others_finish_intact() {
    let (addr, events) = start_echo_server(Codec::new());
    let noise = noise();
    let good: Vec<_> = (0..4)
        .map(|id| {
            let noise = Arc::clone(&noise);
            thread::spawn(move || echo_checked(addr, id, 200, noise))
        })
        .collect();

    // Two of the four header bytes, then gone (an empty read on the server: a FIN).
    let mut mid_header = client(addr);
    let mid_header_addr = mid_header.local_addr().unwrap();
    mid_header.write_all(&[0, 0]).unwrap();
    drop(mid_header);
    // A header announcing 100 bytes, 40 of them, then gone.
    let mut mid_body = client(addr);
    let mid_body_addr = mid_body.local_addr().unwrap();
    mid_body.write_all(&100u32.to_be_bytes()).unwrap();
    mid_body.write_all(&[7; 40]).unwrap();
    drop(mid_body);

    let mut peers = vec![mid_header_addr, mid_body_addr];
    for client in good {
        peers.push(client.join().unwrap().0);
    }
    let mut ended = ends(&events, &peers).into_iter();
    match ended.next().unwrap() {
        Event::ClosedMidFrame {
            frames: 0, error, ..
        } => assert_eq!(
            error,
            DecodeError::TruncatedHeader {
                buffered: 2,
                needed: 4
            }
        ),
        other => panic!("{other}"),
    }
    match ended.next().unwrap() {
        Event::ClosedMidFrame {
            frames: 0, error, ..
        } => assert_eq!(
            error,
            DecodeError::TruncatedFrame {
                buffered: 44,
                expected: 104
            }
        ),
        other => panic!("{other}"),
    }
    for event in ended {
        assert!(
            matches!(event, Event::ClosedCleanly { frames: 200, .. }),
            "{event}"
        );
    }
}

#[test]
fn a_client_that_resets_mid_frame_is_reported_and_the_server_goes_on() {
    let (addr, events) = start_echo_server(Codec::new());
    let mut vanishing = client(addr);
    let vanishing_addr = vanishing.local_addr().unwrap();
    vanishing.write_all(&100u32.to_be_bytes()).unwrap();
    vanishing.write_all(b"partial").unwrap();
    // Linger 0: close sends a reset instead of a FIN, as a crashed peer's kernel may.
    socket2::SockRef::from(&vanishing)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(vanishing);
    match end_of(&events, vanishing_addr) {
        Event::Failed {
            frames: 0, error, ..
        } => {
            assert_eq!(error.kind(), io::ErrorKind::ConnectionReset);
        }
        other => panic!("{other}"),
    }
    let (peer, _) = echo_checked(addr, 9, 50, noise());
    assert!(matches!(
        end_of(&events, peer),
        Event::ClosedCleanly { frames: 50, .. }
    ));
}

#[test]
fn an_oversize_header_closes_that_connection_after_its_good_frames_and_only_it() {
    let codec = Codec::builder().max_frame_length(1000).build().unwrap();
    let (addr, events) = start_echo_server(codec.clone());
    let stream = client(addr);
    let peer = stream.local_addr().unwrap();
    let mut writer = FrameWriter::with_codec(stream.try_clone().unwrap(), codec.clone());
    writer.write_frame(b"first").unwrap();
    writer.write_frame(b"second").unwrap();
    writer.flush().unwrap();
    writer.get_mut().write_all(&1001u32.to_be_bytes()).unwrap();
    let mut reader = FrameReader::with_codec(stream, codec);
    assert_eq!(reader.read_frame().unwrap().as_deref(), Some(&b"first"[..]));
    assert_eq!(
        reader.read_frame().unwrap().as_deref(),
        Some(&b"second"[..])
    );
    // Then the server closes: a clean end (it had read everything we sent).
    assert_eq!(reader.read_frame().unwrap(), None);
    match end_of(&events, peer) {
        Event::Rejected { frames, error, .. } => {
            assert_eq!(frames, 2);
            assert_eq!(
                error,
                DecodeError::FrameTooLarge {
                    announced: 1001,
                    max: 1000
                }
            );
            assert!(error.to_string().contains("1001") && error.to_string().contains("1000"));
        }
        other => panic!("{other}"),
    }
    let mut next = FrameWriter::new(client(addr));
    next.write_frame(b"still serving").unwrap();
    next.flush().unwrap();
    let mut reader = FrameReader::new(next.get_ref().try_clone().unwrap());
    assert_eq!(
        reader.read_frame().unwrap().as_deref(),
        Some(&b"still serving"[..])
    );
}

/// Runs `examples/python_client.py` (`socket` + `struct.pack(fmt, len(data))`, `recv` until the
/// header and then the body are whole) against the echo server; `None` when python3 is missing.
fn python_client(port: u16, format: &str, words: &[&str]) -> Option<Vec<String>> {
    match Command::new("python3").arg("--version").output() {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
        other => assert!(other.expect("run python3").status.success()),
    }
    let out = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/python_client.py"
        ))
        .arg(port.to_string())
        .arg(format)
        .args(words)
        .env("PYTHONUTF8", "1") // argv, .encode() and print in UTF-8 whatever the locale
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "python client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("UTF-8 output");
    Some(stdout.lines().map(str::to_owned).collect())
}

#[test]
fn a_python_client_written_the_tutorials_way_talks_to_the_echo_server() {
    let words = ["hello", "jason", "kevin", "", "ünïcödé"];
    for (format, codec) in [
        ("<i", Codec::builder().little_endian().build().unwrap()),
        ("i", Codec::builder().native_endian().build().unwrap()),
        (
            "!H",
            Codec::builder().length_field_length(2).build().unwrap(),
        ),
    ] {
        let (addr, events) = start_echo_server(codec);
        let Some(echoed) = python_client(addr.port(), format, &words) else {
            eprintln!("python3 not found: skipping the interop test");
            return;
        };
        assert_eq!(echoed, words, "header format {format}");
        match events.recv_timeout(TIMEOUT).unwrap() {
            Event::Connected { .. } => {}
            other => panic!("{other}"),
        }
        match events.recv_timeout(TIMEOUT).unwrap() {
            Event::ClosedCleanly { frames, .. } => assert_eq!(frames, 5),
            other => panic!("{other}"),
        }
    }
}

#[test]
fn a_tokio_framed_client_gets_every_frame_back_from_the_echo_server() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_util::codec::Framed;

    let (addr, events) = start_echo_server(Codec::new());
    let noise = noise();
    let lengths = checked_lengths(42, 300);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let peer = runtime.block_on(async {
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let peer = stream.local_addr().unwrap();
        let (mut sink, mut echoes) = Framed::new(stream, Codec::new()).split();
        let send = async {
            for (seq, &len) in lengths.iter().enumerate() {
                let payload = checked_payload(42, u32::try_from(seq).unwrap(), len, &noise);
                sink.feed(bytes::Bytes::from(payload)).await.unwrap();
            }
            sink.close().await.unwrap(); // flushes, then shuts the write half down
        };
        let receive = async {
            for (seq, &len) in lengths.iter().enumerate() {
                let frame = echoes.next().await.expect("an echo").unwrap();
                assert_checked(&frame, 42, u32::try_from(seq).unwrap(), len);
            }
            assert!(
                echoes.next().await.is_none(),
                "a clean end after the echoes"
            );
        };
        tokio::time::timeout(TIMEOUT, async { tokio::join!(send, receive) })
            .await
            .expect("the round trip finishes");
        peer
    });
    assert!(matches!(
        end_of(&events, peer),
        Event::ClosedCleanly { frames: 300, .. }
    ));
}

#[cfg(target_os = "linux")]
#[test]
fn a_restarted_server_binds_its_port_again_while_old_connections_linger() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut peer = client(addr);
    let (mut served, _) = listener.accept().unwrap();
    served.write_all(b"bye").unwrap();
    drop(served); // the server closes first: its side of the connection goes to TIME_WAIT
    let mut rest = Vec::new();
    peer.read_to_end(&mut rest).unwrap();
    assert_eq!(rest, b"bye");
    drop(peer);
    drop(listener);

    // Without SO_REUSEADDR the port is still taken: the tutorial's "address already in use".
    let plain = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    let err = plain.bind(&addr.into()).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
    // std's TcpListener sets SO_REUSEADDR on Unix, as the echo server relies on.
    let again = TcpListener::bind(addr).expect("rebinding with SO_REUSEADDR");
    assert_eq!(again.local_addr().unwrap(), addr);
}

#[test]
fn echo_flags_are_the_builders_names() {
    let args = |line: &str| {
        line.split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let options = echo::parse_args(
        args("--listen 127.0.0.1:0 --length-field-length 2 --little-endian --max-frame-length 100"),
        "--listen",
    )
    .unwrap();
    assert_eq!(options.addr, "127.0.0.1:0");
    assert_eq!(options.codec.max_frame_length(), 100);
    let mut wire = bytes::BytesMut::new();
    options.codec.encode(b"hi", &mut wire).unwrap();
    assert_eq!(&wire[..], b"\x02\x00hi");

    let varint = echo::parse_args(args("--varint --connect x:1"), "--connect").unwrap();
    let mut wire = bytes::BytesMut::new();
    varint.codec.encode(&[0; 300], &mut wire).unwrap();
    assert_eq!(wire[..2], [0xAC, 0x02]);

    for (line, message) in [
        ("--listen a --bogus", "unknown flag \"--bogus\""),
        ("--listen", "--listen needs a value"),
        (
            "--listen a --max-frame-length lots",
            "--max-frame-length takes a whole number, not \"lots\"",
        ),
        ("--little-endian", "--listen ADDRESS is required"),
        (
            "--listen a --length-field-length 9",
            "invalid framing: length field of 9 bytes; it must be 1 to 8 bytes",
        ),
    ] {
        let err = echo::parse_args(args(line), "--listen").unwrap_err();
        assert_eq!(err.to_string(), message, "{line}");
    }

    // The usage line names exactly the flags the parser takes.
    let usage: Vec<&str> = echo::FRAMING_FLAGS
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|word| word.starts_with("--"))
        .collect();
    assert_eq!(usage.len(), 5, "{usage:?}");
    for flag in &usage {
        assert!(
            echo::FRAMING_HELP.contains(&format!("  {flag} ")),
            "--help does not explain {flag}"
        );
    }
    for flag in &usage {
        let line = format!("--listen a {flag} 2");
        let parsed = echo::parse_args(args(&line), "--listen");
        match parsed {
            Ok(_) => {}
            // A flag without a value: "2" is left over.
            Err(e) => assert_eq!(e.to_string(), "unknown flag \"2\"", "{flag}"),
        }
    }

    // The server's limits: each flag sets its field, and --help explains each.
    let limits = echo::parse_args(
        args(
            "--listen a --max-connections 7 --idle-timeout 9 --header-timeout 3 \
             --frame-timeout 4 --min-rate 100 --max-buffered 1000000",
        ),
        "--listen",
    )
    .unwrap()
    .limits;
    assert_eq!(
        limits,
        echo::Limits {
            max_connections: 7,
            idle_timeout: Duration::from_secs(9),
            header_timeout: Duration::from_secs(3),
            frame_timeout: Duration::from_secs(4),
            min_rate: 100,
            max_buffered: 1_000_000,
        }
    );
    let flags: Vec<&str> = echo::SERVER_FLAGS
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|word| word.starts_with("--"))
        .collect();
    assert_eq!(flags.len(), 6, "{flags:?}");
    for flag in flags {
        assert!(
            echo::SERVER_HELP.contains(&format!("  {flag} ")),
            "--help does not explain {flag}"
        );
        let err = echo::parse_args(args(&format!("--listen a {flag} -1")), "--listen")
            .unwrap_err()
            .to_string();
        assert_eq!(err, format!("{flag} takes a whole number, not \"-1\""));
        let err = echo::parse_args(args(&format!("--listen a {flag} 0")), "--listen")
            .unwrap_err()
            .to_string();
        assert_eq!(err, format!("{flag} takes a number of at least 1, not 0"));
    }
}
