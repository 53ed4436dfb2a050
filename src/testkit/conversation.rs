//! The conversation check: a whole server, linked into the test or started as a program in any
//! language, talked to over real loopback TCP through a segmenting [`Proxy`].
//!
//! Each case's messages are encoded by the checker's encoder. The reference is a polite
//! exchange, straight to the server: one write per message, then the answer awaited (until
//! the server has read the message and sent nothing more for a short while), then the end of
//! the client's stream and what the server sends until it closes. Then the same bytes, written
//! at once, reach the server through the proxy in the plan's chunks, each one read of its own;
//! the client must receive the same bytes as in the polite exchange. A server that takes one
//! `recv` for one message answers two merged messages as one; one that trusts `recv(4)` to
//! return 4 bytes reads a header cut in two as garbage.

use std::cell::RefCell;
use std::ffi::OsString;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::testkit::engine::{not_run, Case, Check, Rendered, RunOptions, Verdict};
use crate::testkit::plan::Plan;
use crate::testkit::proxy::{read_by_far_end, Proxy};
use crate::testkit::report::{first_difference, Fault, Run};

/// How long the client waits, with nothing arriving, before it takes an answer as whole.
const QUIET: Duration = Duration::from_millis(5);

/// How long the client waits for the server to close after the client's end of stream, and
/// for a started server to listen.
pub(crate) const CLOSE_WAIT: Duration = Duration::from_secs(3);

/// Most bytes of answers a run keeps.
pub(crate) const MOST_ANSWERED: usize = 1 << 20;

/// The server a conversation check talks to.
///
/// ```no_run
/// use lenframe::testkit::Server;
///
/// // A server the test started, listening.
/// let server = Server::at("127.0.0.1:8008".parse().unwrap());
/// // A program the check starts (again, if a case made it exit): `{port}` becomes a free port.
/// let server = Server::command("python3", ["examples/tutorial/loop_server.py", "{port}"]);
/// ```
pub struct Server {
    kind: Kind,
}

enum Kind {
    At(SocketAddr),
    Command {
        program: OsString,
        args: Vec<OsString>,
        running: RefCell<Option<(Child, SocketAddr)>>,
    },
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::At(addr) => write!(f, "Server::at({addr})"),
            Kind::Command { program, args, .. } => {
                write!(f, "Server::command({program:?}, {args:?})")
            }
        }
    }
}

impl Server {
    /// A server already listening at `addr` (one the test started, on a thread of its own).
    #[must_use]
    pub fn at(addr: SocketAddr) -> Server {
        Server {
            kind: Kind::At(addr),
        }
    }

    /// A program the check starts, and starts again when a case made it exit. It serves one
    /// connection after another: each case connects to it twice, and each start once more,
    /// with no bytes, to see it listening. An argument `{port}` (or one containing it)
    /// becomes a free port on `127.0.0.1`, also given in the environment variable `PORT`; a
    /// program that takes no port prints its address (a line ending in `HOST:PORT`, as
    /// `listening on 127.0.0.1:PORT`, within 3 s and the first 64 lines). It is killed when
    /// the check is dropped.
    pub fn command<I, S>(program: impl Into<OsString>, args: I) -> Server
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        Server {
            kind: Kind::Command {
                program: program.into(),
                args: args.into_iter().map(Into::into).collect(),
                running: RefCell::new(None),
            },
        }
    }

    /// The server's address, starting it (again) if it is a program that is not running.
    fn addr(&self) -> io::Result<SocketAddr> {
        match &self.kind {
            Kind::At(addr) => Ok(*addr),
            Kind::Command {
                program,
                args,
                running,
            } => {
                let mut running = running.borrow_mut();
                if let Some((child, addr)) = running.as_mut() {
                    if child.try_wait()?.is_none() {
                        return Ok(*addr);
                    }
                }
                let (child, addr) = start(program, args)?;
                *running = Some((child, addr));
                Ok(addr)
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Kind::Command { running, .. } = &self.kind {
            if let Some((mut child, _)) = running.borrow_mut().take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

/// `args` with `{port}` replaced by `port`, and whether any held it.
pub(crate) fn with_port(args: &[OsString], port: u16) -> (Vec<OsString>, bool) {
    let mut given = false;
    let args = args
        .iter()
        .map(|arg| match arg.to_str() {
            Some(text) if text.contains("{port}") => {
                given = true;
                text.replace("{port}", &port.to_string()).into()
            }
            _ => arg.clone(),
        })
        .collect();
    (args, given)
}

/// Lines a program may print before the one with its address.
const MOST_LINES_BEFORE_ADDRESS: usize = 64;

/// The address a started program prints: the last word of the first of its lines that ends in
/// one (a banner may come first), within [`CLOSE_WAIT`]. Its output is read on a thread, then
/// drained, so that it never blocks writing it.
fn printed_address(stdout: impl Read + Send + 'static) -> Result<SocketAddr, String> {
    let (found, address) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let mut lines = BufReader::new(stdout);
        let mut seen = Vec::new();
        let mut line = String::new();
        let addr = loop {
            line.clear();
            match lines.read_line(&mut line) {
                Ok(0) | Err(_) => break None,
                Ok(_) => {}
            }
            let addr = line.split_whitespace().last().and_then(|w| w.parse().ok());
            if addr.is_some() {
                break addr;
            }
            seen.push(line.trim_end().to_owned());
            if seen.len() == MOST_LINES_BEFORE_ADDRESS {
                break None;
            }
        };
        let _ = found.send(addr.ok_or(seen));
        let _ = io::copy(&mut lines, &mut io::sink());
    });
    match address.recv_timeout(CLOSE_WAIT) {
        Ok(Ok(addr)) => Ok(addr),
        Ok(Err(seen)) => Err(format!(
            "no line of its output ends in an address: {seen:?}"
        )),
        Err(_) => Err(format!("it printed no address in {CLOSE_WAIT:?}")),
    }
}

/// Starts `program` and finds its address.
fn start(program: &OsString, args: &[OsString]) -> io::Result<(Child, SocketAddr)> {
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let (args, given) = with_port(args, port);
    let mut child = Command::new(program)
        .args(&args)
        .env("PORT", port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| io::Error::new(e.kind(), format!("cannot start {program:?}: {e}")))?;
    let stdout = child.stdout.take();
    let addr = if given {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        // Its output is not read: drained, so that it never blocks writing it.
        if let Some(stdout) = stdout {
            thread::spawn(move || io::copy(&mut BufReader::new(stdout), &mut io::sink()));
        }
        addr
    } else {
        let Some(stdout) = stdout else {
            return Err(io::Error::other("no stdout"));
        };
        match printed_address(stdout) {
            Ok(addr) => addr,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(io::Error::other(format!(
                    "{program:?} took no {{port}} argument, and {e}"
                )));
            }
        }
    };
    // Listening once it accepts a connection.
    let deadline = Instant::now() + CLOSE_WAIT;
    loop {
        if let Ok(probe) = TcpStream::connect(addr) {
            // The probe is a connection with no bytes: a server sees it end at once.
            drop(probe);
            return Ok((child, addr));
        }
        if let Some(status) = child.try_wait()? {
            return Err(io::Error::other(format!("{program:?} exited: {status}")));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            return Err(io::Error::other(format!(
                "{program:?} is not listening on {addr} after {CLOSE_WAIT:?}"
            )));
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// What one exchange with a program gave: what the other side received (the client's
/// answers, or a client's output), and whether the program stopped reading.
pub(crate) struct Exchange {
    pub(crate) received: Vec<u8>,
    /// The program left part of a message (or of a chunk) unread.
    pub(crate) stalled: bool,
}

/// How long one read waits before the reader looks at its bounds again.
const READ_STEP: Duration = Duration::from_millis(50);

/// Reads what arrives on `stream` into `into` until nothing has for `quiet`, the stream ends,
/// `most` has passed, or `given_up` says so.
fn read_until_quiet(
    stream: &mut TcpStream,
    into: &mut Vec<u8>,
    quiet: Duration,
    most: Duration,
    given_up: impl Fn() -> bool,
) {
    let deadline = Instant::now() + most;
    let mut buf = [0u8; 16 * 1024];
    let _ = stream.set_read_timeout(Some(quiet.min(READ_STEP)));
    let mut last = Instant::now();
    while Instant::now() < deadline && into.len() < MOST_ANSWERED && !given_up() {
        match stream.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                into.extend_from_slice(&buf[..n]);
                last = Instant::now();
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                if last.elapsed() >= quiet {
                    return;
                }
            }
            Err(_) => return,
        }
    }
}

/// The polite exchange: each message its own write, its answer awaited; then the end.
fn polite(addr: SocketAddr, wire: &[u8], ends: &[usize]) -> io::Result<Exchange> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    let mut answers = Vec::new();
    let mut stalled = false;
    let mut start = 0;
    for &end in ends {
        if end > start {
            if stream.write_all(&wire[start..end]).is_err() {
                break;
            }
            if !read_by_far_end(&stream, CLOSE_WAIT) {
                // The verdict is the stall: the rest of the exchange would only wait.
                stalled = true;
                break;
            }
        }
        read_until_quiet(&mut stream, &mut answers, QUIET, CLOSE_WAIT, || false);
        start = end;
    }
    let _ = stream.shutdown(Shutdown::Write);
    if !stalled {
        read_until_quiet(&mut stream, &mut answers, CLOSE_WAIT, CLOSE_WAIT, || false);
    }
    Ok(Exchange {
        received: answers,
        stalled,
    })
}

/// The planned exchange: all the bytes written at once, delivered through a proxy in the
/// plan's chunks; then the end, and the answers until the server closes.
fn planned(addr: SocketAddr, wire: &[u8], plan: &Plan) -> io::Result<Exchange> {
    let chunks = Plan {
        chunks: plan.chunk_lengths(wire.len()),
        then_every: 0,
        ..Plan::default()
    };
    let proxy = Proxy::start(addr, chunks, Plan::default())?;
    let mut stream = TcpStream::connect(proxy.addr())?;
    let writer = {
        let mut stream = stream.try_clone()?;
        let wire = wire.to_vec();
        thread::spawn(move || {
            let _ = stream.write_all(&wire);
            let _ = stream.shutdown(Shutdown::Write);
        })
    };
    let mut answers = Vec::new();
    // Once the proxy has given up on a chunk, the verdict is the stall: no more waiting.
    read_until_quiet(
        &mut stream,
        &mut answers,
        CLOSE_WAIT,
        2 * CLOSE_WAIT,
        || proxy.stalls() > 0,
    );
    let _ = writer.join();
    drop(stream);
    let stalled = proxy.stalls() > 0;
    drop(proxy);
    Ok(Exchange {
        received: answers,
        stalled,
    })
}

/// A server checked against its own polite exchange: [`Checker::for_server`].
///
/// [`Checker::for_server`]: crate::testkit::Checker::for_server
pub(crate) struct ConversationCheck {
    server: Server,
}

impl ConversationCheck {
    pub(crate) fn new(server: Server) -> ConversationCheck {
        ConversationCheck { server }
    }
}

impl<M> Check<M> for ConversationCheck {
    fn examine(
        &self,
        case: &Case<'_, M>,
        options: &RunOptions<'_>,
        render: bool,
    ) -> (Option<Verdict>, Option<Rendered>) {
        judge(
            options,
            render,
            ["talking politely", "talking through the proxy"],
            || {
                self.server
                    .addr()
                    .and_then(|a| polite(a, case.wire, case.ends))
            },
            || {
                self.server
                    .addr()
                    .and_then(|a| planned(a, case.wire, case.plan))
            },
            |at| Fault::BytesDiffer { at },
        )
    }
}

/// The verdict on a program's two exchanges: the polite one, the reference, then (unless it
/// failed or the program stopped reading) the planned one, whose received bytes must be the
/// same; `differ` names the fault of a difference. Each exchange is announced to the watch.
pub(crate) fn judge(
    options: &RunOptions<'_>,
    render: bool,
    runs: [&'static str; 2],
    polite: impl FnOnce() -> io::Result<Exchange>,
    planned: impl FnOnce() -> io::Result<Exchange>,
    differ: fn(usize) -> Fault,
) -> (Option<Verdict>, Option<Rendered>) {
    let broken = |error: io::Error| {
        (
            Some(Verdict {
                run: Run::Encoding,
                fault: Fault::WriterFailed {
                    index: 0,
                    error: error.to_string(),
                },
            }),
            render.then(|| rendered(None)),
        )
    };
    options.watch.run(runs[0]);
    let reference = match polite() {
        Ok(reference) => reference,
        Err(e) => return broken(e),
    };
    if reference.stalled {
        let verdict = Verdict {
            run: Run::Encoding,
            fault: Fault::StoppedReading { planned: false },
        };
        return (
            Some(verdict),
            render.then(|| rendered(Some((reference.received, Vec::new())))),
        );
    }
    options.watch.run(runs[1]);
    let got = match planned() {
        Ok(got) => got,
        Err(e) => return broken(e),
    };
    let fault = if got.stalled {
        Some(Fault::StoppedReading { planned: true })
    } else {
        first_difference(&got.received, &reference.received).map(differ)
    };
    let verdict = fault.map(|fault| Verdict {
        run: Run::Written,
        fault,
    });
    (
        verdict,
        render.then(|| rendered(Some((reference.received, got.received)))),
    )
}

/// A report's runs: only the two exchanges' bytes, when there were two.
fn rendered(answers: Option<(Vec<u8>, Vec<u8>)>) -> Rendered {
    Rendered {
        answers,
        ..not_run()
    }
}
