//! Target `reader`: `FrameReader` over fuzzed short reads and `Interrupted` errors gives what the
//! sans-IO decoder gives.

use super::*;

/// Target `reader`: `FrameReader` over a reader whose read sizes and `Interrupted` errors come
/// from the input (the testkit's [`ChunkedReader`]), alternating `read_frame` and
/// `read_frame_ref` call by call, gives the same frames and errors as the sans-IO decoder on the
/// whole stream.
pub fn reader(data: &[u8]) {
    let _limit = AllocationLimit::set(lenframe_allocations(data.len(), data.len()));
    let mut input = Input::new(data);
    let layout = LayoutBytes::parse(&mut input);
    let sizes = input.schedule();
    let interrupt_every = match input.byte() % 8 {
        1 => 0,
        n => usize::from(n),
    };
    let stream = input.rest;
    let Ok(codec) = layout.builder().build() else {
        return;
    };
    let expected = run(codec.clone(), stream, &[]);
    let chunked = ChunkedReader::new(stream, sized_reads(&sizes, interrupt_every));
    let mut reader = FrameReader::with_codec(chunked, codec);
    let mut frames = Vec::new();
    let mut errors = Vec::new();
    // Each call returns a frame (consuming input), a recoverable error (consuming input), the
    // end, or a fatal error: bounded by the stream's length.
    for call in 0..=2 * stream.len() + 2 {
        // Odd calls borrow the frame (read_frame_ref), even ones take it as Bytes: the two
        // paths, and the switch between them, must not show.
        let result = if call % 2 == 1 {
            reader
                .read_frame_ref()
                .map(|frame| frame.map(Bytes::copy_from_slice))
        } else {
            reader.read_frame()
        };
        match result {
            Ok(Some(frame)) => frames.push(frame),
            Ok(None) => break,
            Err(e) => {
                let typed = typed_decode_error(&e);
                let fatal = typed.as_ref().is_none_or(DecodeError::is_fatal);
                errors.push(typed.unwrap_or_else(|| panic!("a scripted reader's error: {e}")));
                if fatal {
                    break;
                }
            }
        }
    }
    assert_eq!(
        frames.iter().map(|f| &f[..]).collect::<Vec<_>>(),
        frame_bytes(&expected),
        "FrameReader's frames differ from the decoder's"
    );
    assert_eq!(
        errors, expected.errors,
        "FrameReader's errors differ from the decoder's"
    );
}

fn typed_decode_error(e: &io::Error) -> Option<DecodeError> {
    e.get_ref()?.downcast_ref::<DecodeError>().cloned()
}
