//! Readers and writers that behave like a congested socket: short reads, short writes, and
//! `Interrupted` errors, on a script.

use std::io::{self, IoSlice, Read, Write};

/// A reader over bytes that returns at most `sizes[i]` bytes on its i-th successful read
/// (cycling through `sizes`; a size of 0 is taken as 1, so it never fakes an end of stream),
/// and fails with `Interrupted` every `interrupt_every` calls (0: never).
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
/// write (cycling; 0 is taken as 1), also for `write_vectored`, and fails with `Interrupted`
/// every `interrupt_every` calls (0: never).
#[derive(Clone, Debug, Default)]
pub struct ScriptedWriter {
    /// Everything written so far.
    pub written: Vec<u8>,
    script: Script,
    /// Successful write calls.
    pub writes: usize,
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
        let limit = self.script.next_call()?;
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
