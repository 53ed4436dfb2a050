//! httparse: `Request::parse` (a slice parser whose request borrows the input and a headers
//! array) and `parse_chunk_size` (a slice parser of chunked transfer encoding's sizes).

use lenframe::testkit::{parser, Checker, Plan};
use proptest::collection::vec;
use proptest::prelude::*;

/// A request head, owned.
#[derive(Clone, Debug, PartialEq)]
struct Head {
    method: String,
    path: String,
    headers: Vec<(String, Vec<u8>)>,
}

impl Head {
    /// The owned copy of a parsed request: the mapping from the borrowed type, given once.
    fn of(request: &httparse::Request<'_, '_>) -> Head {
        Head {
            method: request.method.unwrap_or_default().to_owned(),
            path: request.path.unwrap_or_default().to_owned(),
            headers: request
                .headers
                .iter()
                .map(|h| (h.name.to_owned(), h.value.to_vec()))
                .collect(),
        }
    }
}

fn head() -> impl Strategy<Value = Head> {
    (
        prop_oneof![Just("GET"), Just("POST"), Just("DELETE")],
        "/[a-z0-9]{0,8}",
        vec(("[A-Za-z][A-Za-z-]{0,8}", "[ -~]{0,12}"), 0..4),
    )
        .prop_map(|(method, path, headers)| Head {
            method: method.to_owned(),
            path,
            headers: headers
                .into_iter()
                // httparse trims a value's surrounding whitespace, as RFC 9112 says.
                .map(|(name, value)| (name, value.trim().as_bytes().to_vec()))
                .collect(),
        })
}

fn encode_head(head: &Head, dst: &mut bytes::BytesMut) {
    dst.extend_from_slice(format!("{} {} HTTP/1.1\r\n", head.method, head.path).as_bytes());
    for (name, value) in &head.headers {
        dst.extend_from_slice(name.as_bytes());
        dst.extend_from_slice(b": ");
        dst.extend_from_slice(value);
        dst.extend_from_slice(b"\r\n");
    }
    dst.extend_from_slice(b"\r\n");
}

#[test]
fn request_parse() {
    // Glue: a headers array, and the borrowed request made owned (`Head::of`).
    let decoder = parser(|| {
        |input: &[u8]| {
            let mut headers = [httparse::EMPTY_HEADER; 8];
            let mut request = httparse::Request::new(&mut headers);
            Ok::<_, httparse::Error>(match request.parse(input)? {
                httparse::Status::Complete(used) => Some((Head::of(&request), used)),
                httparse::Status::Partial => None,
            })
        }
    });
    Checker::new(decoder, encode_head, head()).assert();
}

#[test]
fn request_parse_on_any_bytes() {
    // Noise: whatever it returns, the same whatever the cut, and no panic.
    let decoder = parser(|| {
        |input: &[u8]| {
            let mut headers = [httparse::EMPTY_HEADER; 8];
            let mut request = httparse::Request::new(&mut headers);
            Ok::<_, httparse::Error>(match request.parse(input)? {
                httparse::Status::Complete(used) => Some((Head::of(&request), used)),
                httparse::Status::Partial => None,
            })
        }
    });
    let checker = Checker::any_stream(decoder);
    checker.assert();
    let mut head = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec();
    head.extend_from_slice(b"\x00\xff GET");
    checker.check(&head, &Plan::every_byte()).unwrap();
}

#[test]
fn parse_chunk_size() {
    // Glue: (used, size) to (size, used).
    let decoder = parser(|| {
        |input: &[u8]| {
            httparse::parse_chunk_size(input).map(|status| match status {
                httparse::Status::Complete((used, size)) => Some((size, used)),
                httparse::Status::Partial => None,
            })
        }
    });
    let encode = |size: &u64, dst: &mut bytes::BytesMut| {
        dst.extend_from_slice(format!("{size:x}\r\n").as_bytes());
    };
    Checker::new(decoder, encode, any::<u64>()).assert();
}
