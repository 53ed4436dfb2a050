//! `segment`: lenframe's segmenting proxy and conversation check from the command line, for
//! programs in any language.
//!
//! ```text
//! cargo run --example segment -- check --header i -- python3 examples/tutorial/struct_server.py {port}
//! cargo run --example segment -- proxy --listen 127.0.0.1:9000 --upstream 127.0.0.1:8008 --every 1
//! cargo run --release --example segment -- measure --boundaries 10000
//! ```
//!
//! `check` starts the server command (`{port}` in an argument becomes a free port), sends it
//! messages politely and then cut by the segmenting proxy, and prints the smallest case whose
//! answers differ, with the seed that reproduces it; it exits 1 then, 0 when every case passed,
//! 2 on a usage error. `proxy` re-cuts the bytes of every connection by a plan, for manual
//! runs. `measure` sends random plans through the proxy to a server that records its reads:
//! the share of planned chunks it saw as reads of their own, and the chunks a second.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use lenframe::testkit::{Checker, Plan, Proxy, Server};
use lenframe::{Builder, Codec};

const USAGE: &str = "\
usage: segment check [--header FMT | --lines | --raw] [--messages FILE] [--cases N] [--seed S] -- COMMAND [ARG...]
       segment proxy --listen ADDR --upstream ADDR [--cuts N,N,...] [--every N] [--seed S] [--back-every N]
       segment measure [--boundaries N] [--seed S]
       segment [check | proxy | measure] --help";

const CHECK_HELP: &str = "\
usage: segment check [OPTIONS] -- COMMAND [ARG...]

Starts COMMAND (again, if a case makes it exit), sends it lists of messages politely (a write per
message, each answer awaited) and then through a segmenting proxy that cuts the bytes as a plan
says, each piece one read at the server. Answers that differ are a failure: the smallest case is
printed, with the seed that reproduces it. An argument {port} becomes a free port (also in PORT);
a command with none prints its address first (a line ending in HOST:PORT).

  --header FMT     each message after a length header, as Python's struct.pack(FMT, len) writes it:
                   i, I, <i, <I, >i, >I, !i, !I, h, H, <h, >H, !H, q, Q, ... (default i)
  --lines          each message followed by a newline
  --raw            the messages' bytes alone
  --messages FILE  messages drawn from FILE's lines (default: random words)
  --cases N        cases to check (default 32)
  --seed S         the seed of the cases (default: lenframe's fixed seed)
  -h, --help       this help

Exit status: 0 when every case passed, 1 on a failure, 2 on a usage error.";

const PROXY_HELP: &str = "\
usage: segment proxy --listen ADDR --upstream ADDR [OPTIONS]

Forwards every connection to UPSTREAM, the client's bytes cut as planned: each planned piece is
one read at the server (the next one waits until the server has read it). Runs until killed.

  --listen ADDR      where clients connect
  --upstream ADDR    the server
  --cuts N,N,...     cut the client's bytes at these offsets, then
  --every N          in pieces of N bytes (default: pass what arrives)
  --seed S           random pieces of 1 to 16 bytes, from this seed
  --back-every N     the server's bytes in pieces of N bytes (default: as they arrive)
  -h, --help         this help";

const MEASURE_HELP: &str = "\
usage: segment measure [--boundaries N] [--seed S]

Sends random bytes in random pieces (1 to 64 bytes) through the proxy to a server that records
the size of each read, over at least N planned pieces (default 10000): prints the share of pieces
seen as reads of exactly their size, and the pieces a second.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("check") => check(&args[1..]),
        Some("proxy") => proxy(&args[1..]),
        Some("measure") => measure(&args[1..]),
        Some("-h" | "--help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => Err(Usage("a subcommand: check, proxy or measure".to_owned())),
    };
    match result {
        Ok(code) => code,
        Err(Usage(message)) if message.is_empty() => ExitCode::SUCCESS,
        Err(Usage(message)) => {
            eprintln!("segment: {message}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// A usage error (empty: help was printed).
struct Usage(String);

/// Flags and their values, up to `--`; the rest after it.
struct Flags {
    values: Vec<(String, Option<String>)>,
    rest: Vec<String>,
}

impl Flags {
    /// Parses `args`: `switches` take no value, `valued` take one.
    fn parse(
        args: &[String],
        switches: &[&str],
        valued: &[&str],
        help: &str,
    ) -> Result<Flags, Usage> {
        let mut values = Vec::new();
        let mut iter = args.iter();
        let mut rest = Vec::new();
        while let Some(arg) = iter.next() {
            match arg.as_str() {
                "--" => {
                    rest = iter.cloned().collect();
                    break;
                }
                "-h" | "--help" => {
                    println!("{help}");
                    return Err(Usage(String::new()));
                }
                flag if switches.contains(&flag) => values.push((flag.to_owned(), None)),
                flag if valued.contains(&flag) => {
                    let value = iter
                        .next()
                        .ok_or_else(|| Usage(format!("{flag} needs a value")))?;
                    values.push((flag.to_owned(), Some(value.clone())));
                }
                other => return Err(Usage(format!("unknown argument {other:?}"))),
            }
        }
        Ok(Flags { values, rest })
    }

    fn has(&self, flag: &str) -> bool {
        self.values.iter().any(|(f, _)| f == flag)
    }

    fn value(&self, flag: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(f, _)| f == flag)
            .and_then(|(_, v)| v.as_deref())
    }

    /// A whole number of at least 1.
    fn number(&self, flag: &str) -> Result<Option<u64>, Usage> {
        self.value(flag)
            .map(|v| match v.parse::<u64>() {
                Ok(n) if n >= 1 => Ok(n),
                _ => Err(Usage(format!(
                    "{flag} takes a whole number of at least 1, not {v:?}"
                ))),
            })
            .transpose()
    }
}

/// How the check's messages are written.
#[derive(Clone)]
enum Framing {
    Header(Codec),
    Lines,
    Raw,
}

/// A codec for a Python `struct` header format: an optional byte order (`@`, `=`, `<`, `>`,
/// `!`), then one of `bBhHiIlLqQ`.
fn struct_header(format: &str) -> Result<Codec, Usage> {
    let bad = || {
        Usage(format!(
            "--header takes a struct format such as i, <I or !H, not {format:?}"
        ))
    };
    let (order, kind) = match format.len() {
        1 => ('@', format.chars().next().ok_or_else(bad)?),
        2 => {
            let mut chars = format.chars();
            (chars.next().ok_or_else(bad)?, chars.next().ok_or_else(bad)?)
        }
        _ => return Err(bad()),
    };
    let width = match kind.to_ascii_lowercase() {
        'b' => 1,
        'h' => 2,
        'i' | 'l' => 4,
        'q' => 8,
        _ => return Err(bad()),
    };
    let builder = Builder::new().length_field_length(width);
    let builder = match order {
        '@' | '=' => builder.native_endian(),
        '<' => builder.little_endian(),
        '>' | '!' => builder.big_endian(),
        _ => return Err(bad()),
    };
    builder
        .build()
        .map_err(|e| Usage(format!("--header {format}: {e}")))
}

fn check(args: &[String]) -> Result<ExitCode, Usage> {
    let flags = Flags::parse(
        args,
        &["--lines", "--raw"],
        &["--header", "--messages", "--cases", "--seed"],
        CHECK_HELP,
    )?;
    let Some((program, program_args)) = flags.rest.split_first() else {
        return Err(Usage("check needs a command after --".to_owned()));
    };
    let framing = match (
        flags.value("--header"),
        flags.has("--lines"),
        flags.has("--raw"),
    ) {
        (_, true, true) => return Err(Usage("--lines or --raw, not both".to_owned())),
        (Some(_), true, _) | (Some(_), _, true) => {
            return Err(Usage("--header, --lines or --raw: one of them".to_owned()))
        }
        (_, true, false) => Framing::Lines,
        (_, false, true) => Framing::Raw,
        (header, false, false) => Framing::Header(struct_header(header.unwrap_or("i"))?),
    };
    let encode = move |message: &String, dst: &mut BytesMut| match &framing {
        Framing::Header(codec) => codec
            .encode(message.as_bytes(), dst)
            .expect("messages within the header's range"),
        Framing::Lines => {
            dst.extend_from_slice(message.as_bytes());
            dst.extend_from_slice(b"\n");
        }
        Framing::Raw => dst.extend_from_slice(message.as_bytes()),
    };
    let server = Server::command(program, program_args);
    let mut checker = match flags.value("--messages") {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| Usage(format!("--messages {file}: {e}")))?;
            let lines: Vec<String> = text.lines().map(str::to_owned).collect();
            if lines.is_empty() {
                return Err(Usage(format!("--messages {file}: no lines")));
            }
            Checker::for_server(server, encode, proptest::sample::select(lines))
        }
        None => Checker::for_server(server, encode, "[a-z]{1,12}"),
    };
    if let Some(cases) = flags.number("--cases")? {
        checker = checker.cases(u32::try_from(cases).unwrap_or(u32::MAX));
    }
    let seed = match flags.value("--seed") {
        Some(v) => v
            .parse::<u64>()
            .map_err(|_| Usage(format!("--seed takes a whole number, not {v:?}")))?,
        None => DEFAULT_SEED,
    };
    checker = checker.seed(seed);
    let command = flags.rest.join(" ");
    println!("segment: checking {command} (seed {seed}; --seed {seed} checks the same cases)");
    let started = Instant::now();
    match checker.run() {
        Ok(()) => {
            println!(
                "segment: passed in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(failure) => {
            println!("{failure}");
            println!(
                "segment: found and shrunk in {:.1} s; rerun: --seed {seed}",
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::from(1))
        }
    }
}

/// The harness's own default seed, printed so that a run can be repeated.
const DEFAULT_SEED: u64 = 0x6c65_6e66_7261_6d65;

/// Random chunk lengths of 1 to `most` bytes, `count` of them, from `seed`.
fn random_chunks(seed: u64, count: usize, most: usize) -> Vec<usize> {
    let mut state = seed;
    (0..count)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            1 + usize::try_from(state % most as u64).unwrap_or(0)
        })
        .collect()
}

fn proxy(args: &[String]) -> Result<ExitCode, Usage> {
    let flags = Flags::parse(
        args,
        &[],
        &[
            "--listen",
            "--upstream",
            "--cuts",
            "--every",
            "--seed",
            "--back-every",
        ],
        PROXY_HELP,
    )?;
    let addr = |flag: &str| -> Result<SocketAddr, Usage> {
        let value = flags
            .value(flag)
            .ok_or_else(|| Usage(format!("{flag} ADDR is required")))?;
        value.parse().map_err(|_| {
            Usage(format!(
                "{flag} takes an address such as 127.0.0.1:9000, not {value:?}"
            ))
        })
    };
    let (listen, upstream) = (addr("--listen")?, addr("--upstream")?);
    let mut to_server = Plan::default();
    if let Some(cuts) = flags.value("--cuts") {
        let cuts: Vec<usize> = cuts
            .split(',')
            .map(|c| c.trim().parse())
            .collect::<Result<_, _>>()
            .map_err(|_| Usage(format!("--cuts takes offsets such as 1,4,9, not {cuts:?}")))?;
        to_server = Plan::at(&cuts);
    }
    if let Some(every) = flags.number("--every")? {
        to_server.then_every = usize::try_from(every).unwrap_or(usize::MAX);
    }
    if let Some(seed) = flags.number("--seed")? {
        to_server.chunks = random_chunks(seed, 4096, 16);
    }
    let mut to_client = Plan::default();
    if let Some(every) = flags.number("--back-every")? {
        to_client.then_every = usize::try_from(every).unwrap_or(usize::MAX);
    }
    let proxy = Proxy::listen(listen, upstream, to_server.clone(), to_client)
        .map_err(|e| Usage(format!("cannot listen on {listen}: {e}")))?;
    println!(
        "proxy on {} -> {upstream}, client's bytes: {to_server}",
        proxy.addr()
    );
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

fn measure(args: &[String]) -> Result<ExitCode, Usage> {
    let flags = Flags::parse(args, &[], &["--boundaries", "--seed"], MEASURE_HELP)?;
    let wanted = flags.number("--boundaries")?.unwrap_or(10_000);
    let seed = flags.number("--seed")?.unwrap_or(1);
    let server = TcpListener::bind("127.0.0.1:0").map_err(|e| Usage(e.to_string()))?;
    let upstream = server.local_addr().map_err(|e| Usage(e.to_string()))?;
    // The recording server: the size of each read, per connection, sent when it ends.
    let (reads_tx, reads_rx) = std::sync::mpsc::channel::<Vec<usize>>();
    std::thread::spawn(move || {
        for conn in server.incoming() {
            let Ok(mut conn) = conn else { break };
            let (mut reads, mut buf) = (Vec::new(), vec![0u8; 64 * 1024]);
            loop {
                match conn.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => reads.push(n),
                }
            }
            if reads_tx.send(reads).is_err() {
                break;
            }
        }
    });
    const PER_CONNECTION: usize = 500;
    let mut planned_all = Vec::new();
    let mut seen = Vec::new();
    let started = Instant::now();
    let mut planned_count = 0u64;
    let mut connection = 0u64;
    while planned_count < wanted {
        connection += 1;
        let chunks = random_chunks(seed.wrapping_mul(7919) ^ connection, PER_CONNECTION, 64);
        let total: usize = chunks.iter().sum();
        let mut plan = Plan::default();
        plan.chunks = chunks.clone();
        let proxy =
            Proxy::start(upstream, plan, Plan::default()).map_err(|e| Usage(e.to_string()))?;
        let mut client = TcpStream::connect(proxy.addr()).map_err(|e| Usage(e.to_string()))?;
        client
            .write_all(&vec![0x5A; total])
            .map_err(|e| Usage(e.to_string()))?;
        drop(client);
        let reads = reads_rx
            .recv_timeout(Duration::from_secs(60))
            .map_err(|_| Usage("the recording server saw no end of the connection".to_owned()))?;
        drop(proxy);
        planned_count += chunks.len() as u64;
        planned_all.push(chunks);
        seen.push(reads);
    }
    let elapsed = started.elapsed();
    let mut faithful = 0u64;
    for (chunks, reads) in planned_all.iter().zip(&seen) {
        // A chunk is faithful when a read starts where it starts and has its size.
        let mut starts = std::collections::HashMap::new();
        let mut at = 0;
        for &n in reads {
            starts.insert(at, n);
            at += n;
        }
        let mut at = 0;
        for &n in chunks {
            if starts.get(&at) == Some(&n) {
                faithful += 1;
            }
            at += n;
        }
    }
    println!(
        "segment measure: {faithful} of {planned_count} planned pieces seen as reads of exactly \
         their size ({:.2}%), over {connection} connections; {:.0} pieces a second",
        100.0 * faithful as f64 / planned_count as f64,
        planned_count as f64 / elapsed.as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
