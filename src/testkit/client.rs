//! The client check: a whole client program, in any language, served over real loopback TCP.
//!
//! The checker plays the server. Each case's messages are encoded by the checker's encoder.
//! The reference is a polite exchange: the client is started and given the server's port, each
//! message is its own write, read by the client before the next is written, then the stream
//! ends. Then a second client is started, and the same bytes, written at once, reach it through
//! a segmenting [`Proxy`] in the plan's chunks, each one read of its own. Both times, the
//! client must print the same output and end the same way. A client that takes one `recv` for
//! one message prints two merged messages as one; one that trusts `recv(4)` to return 4 bytes
//! reads a header cut in two as garbage.

use std::ffi::OsString;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::testkit::conversation::{judge, with_port, Exchange, CLOSE_WAIT, MOST_ANSWERED};
use crate::testkit::engine::{Case, Check, Rendered, RunOptions, Verdict};
use crate::testkit::plan::Plan;
use crate::testkit::proxy::{read_by_far_end, Proxy};
use crate::testkit::report::Fault;

/// How often a wait for the client looks whether it has connected or exited.
const POLL: Duration = Duration::from_millis(2);

/// The client program a client check starts: [`Checker::for_client`].
///
/// ```no_run
/// use lenframe::testkit::Client;
///
/// // `{port}` becomes the port of the checker's server on 127.0.0.1.
/// let client = Client::command("python3", ["my_client.py", "127.0.0.1", "{port}"]);
/// ```
///
/// [`Checker::for_client`]: crate::testkit::Checker::for_client
pub struct Client {
    program: OsString,
    args: Vec<OsString>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Client::command({:?}, {:?})", self.program, self.args)
    }
}

impl Client {
    /// A program the check starts twice a case. An argument `{port}` (or one containing it)
    /// becomes the port of the checker's server on `127.0.0.1`, also given in the environment
    /// variable `PORT`. The program connects once, reads until the end of the stream, and
    /// prints what it makes of the messages; what it prints on its standard output, and how it
    /// ends, are what the check compares. It must exit within 3 s of the end of the stream,
    /// else it is killed (and its output says so).
    pub fn command<I, S>(program: impl Into<OsString>, args: I) -> Client
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        Client {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
        }
    }

    /// Starts the program for a server on `port`; its output is read on a thread.
    fn start(&self, port: u16) -> io::Result<Running> {
        let (args, _) = with_port(&self.args, port);
        let mut child = Command::new(&self.program)
            .args(&args)
            .env("PORT", port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("cannot start {self:?}: {e}")))?;
        let Some(stdout) = child.stdout.take() else {
            let _ = child.kill();
            return Err(io::Error::other("no stdout"));
        };
        let output = thread::spawn(move || {
            let mut kept = Vec::new();
            let mut limited = stdout.take(MOST_ANSWERED as u64);
            let _ = limited.read_to_end(&mut kept);
            // Past the limit, drained: the program never blocks writing.
            let _ = io::copy(&mut limited.into_inner(), &mut io::sink());
            kept
        });
        Ok(Running { child, output })
    }
}

/// A started client and the thread that reads its output.
struct Running {
    child: Child,
    output: JoinHandle<Vec<u8>>,
}

impl Running {
    /// The client's connection to `listener`, once it has made it; an error when it exits
    /// first or has not connected in [`CLOSE_WAIT`]. Bytes the client sends are read and
    /// dropped on a thread, so that it never blocks writing them.
    fn accept(&mut self, listener: &TcpListener) -> io::Result<TcpStream> {
        listener.set_nonblocking(true)?;
        let deadline = Instant::now() + CLOSE_WAIT;
        let conn = loop {
            match listener.accept() {
                Ok((conn, _)) => break conn,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            if let Some(status) = self.child.try_wait()? {
                return Err(io::Error::other(format!(
                    "the client exited before it connected: {status}"
                )));
            }
            if Instant::now() > deadline {
                return Err(io::Error::other(format!(
                    "the client has not connected after {CLOSE_WAIT:?}"
                )));
            }
            thread::sleep(POLL);
        };
        conn.set_nonblocking(false)?;
        conn.set_nodelay(true)?;
        let mut requests = conn.try_clone()?;
        thread::spawn(move || io::copy(&mut requests, &mut io::sink()));
        Ok(conn)
    }

    /// Waits up to `wait` for the client to exit (less if `given_up` says so), kills it if it
    /// has not, and returns what it printed, followed by how it ended when that was not a
    /// success.
    fn finish(mut self, wait: Duration, given_up: impl Fn() -> bool) -> Vec<u8> {
        let deadline = Instant::now() + wait;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() < deadline && !given_up() => thread::sleep(POLL),
                _ => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break None;
                }
            }
        };
        let mut output = self.output.join().unwrap_or_default();
        output.extend_from_slice(ending(status).as_bytes());
        output
    }
}

/// How a client ended, as its output shows it: nothing for a success.
fn ending(status: Option<ExitStatus>) -> String {
    match status {
        Some(status) if status.success() => String::new(),
        Some(status) => format!("\n[the client ended with {status}]"),
        None => "\n[the client had not exited: killed]".to_owned(),
    }
}

/// The polite exchange: each message its own write, read by the client before the next.
fn polite(client: &Client, wire: &[u8], ends: &[usize]) -> io::Result<Exchange> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let mut running = client.start(listener.local_addr()?.port())?;
    let mut conn = match running.accept(&listener) {
        Ok(conn) => conn,
        Err(e) => {
            running.finish(Duration::ZERO, || true);
            return Err(e);
        }
    };
    let mut stalled = false;
    let mut start = 0;
    for &end in ends {
        if end > start {
            if conn.write_all(&wire[start..end]).is_err() {
                break;
            }
            if !read_by_far_end(&conn, CLOSE_WAIT) {
                stalled = true;
                break;
            }
        }
        start = end;
    }
    let _ = conn.shutdown(Shutdown::Write);
    // A client that stopped reading is the verdict: it is not waited for.
    let output = running.finish(CLOSE_WAIT, || stalled);
    Ok(Exchange {
        received: output,
        stalled,
    })
}

/// The planned exchange: all the bytes written at once, delivered to the client through a
/// proxy in the plan's chunks; then the end of the stream.
fn planned(client: &Client, wire: &[u8], plan: &Plan) -> io::Result<Exchange> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let chunks = Plan {
        chunks: plan.chunk_lengths(wire.len()),
        ..Plan::default()
    };
    let proxy = Proxy::start(listener.local_addr()?, Plan::default(), chunks)?;
    let mut running = client.start(proxy.addr().port())?;
    let conn = match running.accept(&listener) {
        Ok(conn) => conn,
        Err(e) => {
            running.finish(Duration::ZERO, || true);
            return Err(e);
        }
    };
    let writer = {
        let mut conn = conn;
        let wire = wire.to_vec();
        thread::spawn(move || {
            let _ = conn.write_all(&wire);
            let _ = conn.shutdown(Shutdown::Write);
        })
    };
    // The proxy may wait for a client that stopped reading, a bounded time a chunk; once it
    // has given up on one, the verdict is the stall, and the client is not waited for.
    let output = running.finish(2 * CLOSE_WAIT, || proxy.stalls() > 0);
    let _ = writer.join();
    let stalled = proxy.stalls() > 0;
    drop(proxy);
    Ok(Exchange {
        received: output,
        stalled,
    })
}

/// A client checked against its own polite exchange: [`Checker::for_client`].
///
/// [`Checker::for_client`]: crate::testkit::Checker::for_client
pub(crate) struct ClientCheck {
    client: Client,
}

impl ClientCheck {
    pub(crate) fn new(client: Client) -> ClientCheck {
        ClientCheck { client }
    }
}

impl<M> Check<M> for ClientCheck {
    fn examine(
        &self,
        case: &Case<'_, M>,
        options: &RunOptions<'_>,
        render: bool,
    ) -> (Option<Verdict>, Option<Rendered>) {
        judge(
            options,
            render,
            [
                "serving the client politely",
                "serving the client through the proxy",
            ],
            || polite(&self.client, case.wire, case.ends),
            || planned(&self.client, case.wire, case.plan),
            |at| Fault::PrintedOtherwise { at },
        )
    }
}
