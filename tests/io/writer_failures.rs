//! `FrameWriter` when its writer fails: pending frames on drop (and none while panicking), a
//! failed write or `into_inner` that loses nothing and a retry that sends a frame once, writes cut
//! anywhere in a batch or a vectored write, `WouldBlock`, a writer that accepts nothing (an
//! error, not a spin) and one that claims to have taken more than it was given (no panic).

use std::cell::RefCell;
use std::io::{self, IoSlice, Write};
use std::rc::Rc;

use lenframe::io::FrameWriter;
use lenframe::testkit::{ChunkedWriter, IoOp};

use lenframe_support::default_framing::encoded;

#[test]
fn dropping_the_writer_writes_pending_frames() {
    let mut sink = Vec::new();
    {
        let mut writer = FrameWriter::new(&mut sink);
        writer.write_frame(b"hello").unwrap();
        writer.write_frame(b"jason").unwrap();
        assert!(writer.get_ref().is_empty(), "pending until flush or drop");
    }
    assert_eq!(sink, encoded(&["hello", "jason"]));
}

/// A sink shared with the test, so what was written can be read after the writer is gone.
#[derive(Clone, Debug, Default)]
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn dropping_the_writer_while_panicking_writes_nothing() {
    let sink = Shared::default();
    let mut writer = FrameWriter::new(sink.clone());
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        writer.write_frame(b"half-built state").unwrap();
        panic!("the caller fails with a frame pending");
    }));
    assert!(unwound.is_err());
    assert_eq!(sink.0.borrow().len(), 0);
}

/// A writer that fails until told otherwise.
#[derive(Debug)]
struct Flaky {
    fail: bool,
    written: Vec<u8>,
}

impl Write for Flaky {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.fail {
            return Err(io::Error::new(io::ErrorKind::BrokenPipe, "down"));
        }
        self.written.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_failed_batch_write_takes_the_frame_back_and_the_retry_sends_it_once() {
    let frames: Vec<Vec<u8>> = (0..70u8).map(|i| vec![i; 1000]).collect();
    let mut writer = FrameWriter::new(Flaky {
        fail: true,
        written: Vec::new(),
    });
    let mut failures = 0;
    for frame in &frames {
        if let Err(e) = writer.write_frame(frame) {
            assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
            failures += 1;
            // Not taken: the frames before it stay queued, this one is gone.
            assert_eq!(writer.pending(), 1004 * usize::from(frame[0]));
            writer.get_mut().fail = false; // the link comes back: retry the call
            writer.write_frame(frame).unwrap();
        }
    }
    assert_eq!(failures, 1, "the batch passes 64 KiB once");
    let sink = writer.into_inner().unwrap();
    assert!(sink.written == encoded(&frames), "the wire differs");
}

#[test]
fn a_failed_into_inner_loses_nothing() {
    let mut writer = FrameWriter::new(Flaky {
        fail: true,
        written: Vec::new(),
    });
    writer.write_frame(b"kept").unwrap();
    let err = writer.into_inner().unwrap_err();
    assert_eq!(err.error().kind(), io::ErrorKind::BrokenPipe);
    let mut writer = err.into_writer();
    assert_eq!(writer.pending(), 8);
    writer.get_mut().fail = false;
    let inner = writer.into_inner().unwrap();
    assert_eq!(inner.written, b"\x00\x00\x00\x04kept");
}

#[test]
fn a_large_frame_failing_before_its_first_byte_is_taken_back_and_the_retry_sends_it_once() {
    let mut writer = FrameWriter::new(Flaky {
        fail: true,
        written: Vec::new(),
    });
    writer.write_frame(b"queued").unwrap();
    let body = vec![3u8; 10_000];
    assert!(writer.write_frame(&body).is_err());
    assert_eq!(
        writer.pending(),
        10,
        "the queued frame stays, the large one is not taken"
    );
    writer.get_mut().fail = false;
    writer.write_frame(&body).unwrap();
    writer.flush().unwrap();
    assert!(
        writer.get_ref().written == encoded(&[&b"queued"[..], &body]),
        "the wire differs"
    );
}

/// Takes `accept` bytes, then fails; its failures can be turned off.
#[derive(Debug)]
struct CutOff {
    accept: usize,
    written: Vec<u8>,
}

impl Write for CutOff {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.accept == 0 {
            return Err(io::Error::new(io::ErrorKind::ConnectionReset, "reset"));
        }
        let n = buf.len().min(self.accept);
        self.accept -= n;
        self.written.extend_from_slice(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_vectored_write_cut_before_the_large_frame_fails_and_one_cut_inside_it_resumes_at_the_cut() {
    let body: Vec<u8> = (0..20_000u32).map(|i| (i % 241) as u8).collect();
    // Cut inside the pending 9-byte frame and right after it: the large frame is not taken.
    for cut in [3, 9] {
        let mut writer = FrameWriter::new(CutOff {
            accept: usize::MAX,
            written: Vec::new(),
        });
        writer.write_frame(b"small").unwrap();
        writer.get_mut().accept = cut;
        let err = writer.write_frame(&body).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
        assert_eq!(writer.get_ref().written.len(), cut);
        assert_eq!(writer.pending(), 9 - cut, "cut at {cut}");
        writer.get_mut().accept = usize::MAX;
        writer.write_frame(&body).unwrap(); // the retry
        let sink = writer.into_inner().unwrap();
        assert!(
            sink.written == encoded(&[&b"small"[..], &body]),
            "cut at {cut}: the wire differs"
        );
    }
    // Cut inside the large frame's header, inside its body: the peer holds its start, so the
    // frame is taken, the rest stays pending and the next flush meets the error.
    for cut in [11, 14, 5_000] {
        let mut writer = FrameWriter::new(CutOff {
            accept: usize::MAX,
            written: Vec::new(),
        });
        writer.write_frame(b"small").unwrap();
        writer.get_mut().accept = cut;
        writer.write_frame(&body).unwrap();
        assert_eq!(writer.get_ref().written.len(), cut);
        assert_eq!(writer.pending(), 9 + 4 + body.len() - cut, "cut at {cut}");
        let err = writer.flush().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
        writer.get_mut().accept = usize::MAX;
        let sink = writer.into_inner().unwrap();
        assert!(
            sink.written == encoded(&[&b"small"[..], &body]),
            "cut at {cut}: the wire differs"
        );
    }
}

#[test]
fn a_batch_write_cut_inside_the_new_small_frame_takes_it_and_finishes_it_on_the_next_flush() {
    // 65 frames of 1004 wire bytes stay queued (65 260 bytes); the 66th passes 64 KiB and the
    // batch goes out, cut 500 bytes into the 66th.
    let frames: Vec<Vec<u8>> = (0..66u8).map(|i| vec![i; 1000]).collect();
    let mut writer = FrameWriter::new(CutOff {
        accept: 65 * 1004 + 500,
        written: Vec::new(),
    });
    for frame in &frames {
        writer.write_frame(frame).unwrap();
    }
    assert_eq!(writer.pending(), 504, "the rest of the 66th frame");
    let err = writer.flush().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
    writer.get_mut().accept = usize::MAX;
    let sink = writer.into_inner().unwrap();
    assert!(sink.written == encoded(&frames), "the wire differs");
}

/// Accepts nothing: `Ok(0)` forever.
#[derive(Debug)]
struct Full;

impl Write for Full {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Ok(0)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_writer_accepting_nothing_is_write_zero_not_a_spin() {
    let mut writer = FrameWriter::new(Full);
    writer.write_frame(b"tiny").unwrap();
    let err = writer.write_frame(&[0u8; 9000]).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WriteZero);
    assert_eq!(writer.pending(), 8, "the large frame is not taken");
    assert_eq!(writer.flush().unwrap_err().kind(), io::ErrorKind::WriteZero);
    let err = writer.into_inner().unwrap_err();
    assert_eq!(err.error().kind(), io::ErrorKind::WriteZero);
    drop(err); // Drop tries once more, meets `Ok(0)`, and gives up: no spin
}

/// Claims to have written more than it was given.
#[derive(Debug)]
struct Boastful(Vec<u8>);

impl Write for Boastful {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len() + 7)
    }
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let mut total = 0;
        for buf in bufs {
            total += self.write(buf)? - 7;
        }
        Ok(total + 7)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_writer_claiming_too_much_does_not_panic_the_writer() {
    let mut writer = FrameWriter::new(Boastful(Vec::new()));
    writer.write_frame(b"one").unwrap();
    writer.write_frame(&[5u8; 9000]).unwrap();
    let sink = writer.into_inner().unwrap();
    assert!(
        sink.0 == encoded(&[&b"one"[..], &[5u8; 9000][..]]),
        "the wire differs"
    );
}

#[test]
fn would_block_from_the_writer_the_retried_frame_goes_out_once() {
    // 1000-byte frames: the batch passes 64 KiB at the 66th, and the writer takes 4000 bytes
    // before each WouldBlock.
    let frames: Vec<Vec<u8>> = (0..150u8).map(|i| vec![i; 1000]).collect();
    let schedule = vec![IoOp::Limit(4000), IoOp::WouldBlock];
    let mut writer = FrameWriter::new(ChunkedWriter::new(Vec::new(), schedule));
    let mut retries = 0;
    for frame in &frames {
        loop {
            match writer.write_frame(frame) {
                Ok(()) => break,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => retries += 1,
                Err(e) => panic!("{e}"),
            }
            assert!(retries < 1000, "no progress");
        }
    }
    while let Err(e) = writer.flush() {
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
    }
    assert!(retries > 0, "some frame was refused and retried");
    assert!(writer.get_ref().counts().would_block > 0);
    let wire = writer.into_inner().unwrap().into_inner();
    assert!(wire == encoded(&frames), "the wire differs");
}
