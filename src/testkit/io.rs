//! Readers and writers that behave like a congested socket: short reads, short writes, and
//! `Interrupted` errors, on a script.
//!
//! Framing code that is right over a `Vec<u8>` can still be wrong over TCP, where a `read`
//! returns whatever has arrived and a `write` takes what fits. These make every such cut
//! reproducible: the sizes cycle through a script, so a property test can draw the script and
//! shrink it, and a fuzz target can take it from its input.

use std::io::{self, IoSlice, Read, Write};

/// A reader over bytes that returns at most `sizes[i]` bytes on its i-th successful read
/// (cycling through `sizes`; a size of 0 is taken as 1, so it never fakes an end of stream),
/// and fails with `Interrupted` every `interrupt_every` calls (0: never). After the last byte,
/// every read returns `Ok(0)`: the end of the stream.
///
/// ```
/// use std::io::{ErrorKind, Read};
/// use lenframe::testkit::ScriptedReader;
///
/// let mut reader = ScriptedReader::new(b"hellojason".to_vec(), vec![3, 1], 3);
/// let mut buf = [0u8; 16];
/// assert_eq!(reader.read(&mut buf)?, 3); // "hel"
/// assert_eq!(reader.read(&mut buf)?, 1); // "l"
/// assert_eq!(reader.read(&mut buf).unwrap_err().kind(), ErrorKind::Interrupted); // 3rd call
/// assert_eq!(reader.read(&mut buf)?, 3); // "oja": the sizes cycle
/// assert_eq!(reader.read(&mut buf)?, 1); // "s"
/// assert_eq!(reader.read(&mut buf).unwrap_err().kind(), ErrorKind::Interrupted); // 6th call
/// assert_eq!(reader.read(&mut buf)?, 2); // "on", all that is left
/// assert_eq!(reader.read(&mut buf)?, 0); // the end
/// assert_eq!((reader.reads, reader.interrupts), (6, 2));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ScriptedReader {
    data: Vec<u8>,
    pos: usize,
    script: Script,
    /// Reads that returned data or end of stream.
    pub reads: usize,
    /// `Interrupted` errors returned.
    pub interrupts: usize,
}

/// The schedule both scripted types follow: a size limit per successful call, cycling, and an
/// `Interrupted` error every `interrupt_every` calls.
#[derive(Clone, Debug, Default)]
struct Script {
    sizes: Vec<usize>,
    interrupt_every: usize,
    calls: usize,
    served: usize,
}

impl Script {
    fn new(sizes: Vec<usize>, interrupt_every: usize) -> Script {
        assert_ne!(
            interrupt_every, 1,
            "a script that only interrupts never makes progress"
        );
        Script {
            sizes,
            interrupt_every,
            ..Script::default()
        }
    }

    /// The most bytes this call may move, or its scripted `Interrupted` error.
    fn next_call(&mut self) -> io::Result<usize> {
        self.calls += 1;
        if self.interrupt_every > 0 && self.calls % self.interrupt_every == 0 {
            return Err(io::Error::new(
                io::ErrorKind::Interrupted,
                "scripted interrupt",
            ));
        }
        let limit = match self.sizes.is_empty() {
            true => usize::MAX,
            false => self.sizes[self.served % self.sizes.len()].max(1),
        };
        self.served += 1;
        Ok(limit)
    }
}

impl ScriptedReader {
    /// Reads of the given sizes (cycling; empty means "everything at once"), an `Interrupted`
    /// error every `interrupt_every` calls (0: never).
    ///
    /// # Panics
    ///
    /// When `interrupt_every` is 1: every call would fail and a retrying caller never ends.
    pub fn new(data: impl Into<Vec<u8>>, sizes: Vec<usize>, interrupt_every: usize) -> Self {
        ScriptedReader {
            data: data.into(),
            pos: 0,
            script: Script::new(sizes, interrupt_every),
            reads: 0,
            interrupts: 0,
        }
    }
}

impl Read for ScriptedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let limit = self
            .script
            .next_call()
            .inspect_err(|_| self.interrupts += 1)?;
        self.reads += 1;
        let n = limit.min(buf.len()).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// A writer that records everything, accepts at most `sizes[i]` bytes on its i-th successful
/// write (cycling; 0 is taken as 1), also for `write_vectored` (where the limit spans the
/// slices), and fails with `Interrupted` every `interrupt_every` calls (0: never).
///
/// ```
/// use std::io::{ErrorKind, IoSlice, Write};
/// use lenframe::testkit::ScriptedWriter;
///
/// let mut writer = ScriptedWriter::new(vec![2, 5], 3);
/// assert_eq!(writer.write(b"hello")?, 2);
/// assert_eq!(writer.write_vectored(&[IoSlice::new(b"llo"), IoSlice::new(b"!!")])?, 5);
/// assert_eq!(writer.write(b"?").unwrap_err().kind(), ErrorKind::Interrupted);
/// assert_eq!(writer.written, b"hello!!");
/// assert_eq!((writer.writes, writer.interrupts), (2, 1));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct ScriptedWriter {
    /// Everything written so far.
    pub written: Vec<u8>,
    script: Script,
    /// Successful write calls.
    pub writes: usize,
    /// `Interrupted` errors returned.
    pub interrupts: usize,
    /// `flush` calls.
    pub flushes: usize,
}

impl ScriptedWriter {
    /// Writes of the given sizes (cycling; empty means "everything at once"), an `Interrupted`
    /// error every `interrupt_every` calls (0: never).
    ///
    /// # Panics
    ///
    /// When `interrupt_every` is 1: every call would fail and a retrying caller never ends.
    pub fn new(sizes: Vec<usize>, interrupt_every: usize) -> Self {
        ScriptedWriter {
            script: Script::new(sizes, interrupt_every),
            ..ScriptedWriter::default()
        }
    }

    fn accept(&mut self) -> io::Result<usize> {
        let limit = self
            .script
            .next_call()
            .inspect_err(|_| self.interrupts += 1)?;
        self.writes += 1;
        Ok(limit)
    }
}

impl Write for ScriptedWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.accept()?.min(buf.len());
        self.written.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let mut left = self.accept()?;
        let mut total = 0;
        for buf in bufs {
            let n = left.min(buf.len());
            self.written.extend_from_slice(&buf[..n]);
            total += n;
            left -= n;
            if left == 0 {
                break;
            }
        }
        Ok(total)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flushes += 1;
        Ok(())
    }
}
