//! csv: `Reader::records` over a `std::io::Read`, a record per line, the last line's newline
//! optional.

use lenframe::testkit::{reader, Checker, Fault, Run, Truncation};
use proptest::collection::vec;
use proptest::prelude::*;

use crate::shown;

/// Rows of three fields (csv refuses rows of unequal lengths unless told `flexible`), with
/// commas and quotes to escape.
fn row() -> impl Strategy<Value = Vec<String>> {
    vec("[a-z ,\"]{0,5}", 3)
}

#[allow(clippy::ptr_arg)] // an encoder of `Vec<String>` messages takes `&Vec<String>`
fn encode(row: &Vec<String>, dst: &mut bytes::BytesMut) {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(row).unwrap();
    dst.extend_from_slice(&writer.into_inner().unwrap());
}

/// The records iterator as "next message", each record as its fields.
fn records() -> lenframe::testkit::Decoder<Vec<String>> {
    // Glue: no headers, and a record as its fields.
    reader(|stream| {
        let mut records = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(stream)
            .into_records();
        move || {
            records
                .next()
                .transpose()
                .map(|record| record.map(|r| r.iter().map(str::to_owned).collect()))
        }
    })
}

/// Any bytes at the end of a CSV stream are a last record (`,` is two empty fields): a record
/// cut short and a shorter last record look the same, so the check takes either (`AllowRest`).
#[test]
fn records_without_interruptions() {
    Checker::new(records(), encode, row())
        .truncation(Truncation::AllowRest)
        .without_interrupts()
        .assert();
}

/// Found: csv (1.4.0) hands a read's `Interrupted` error to its caller, where the standard
/// library's readers (`read_exact`, `BufRead::read_line`) retry it: a signal that interrupts a
/// read ends the iteration of records with an error, and the record being read is lost.
#[test]
fn trophy_csv_reader_is_stopped_by_an_interrupted_read() {
    let failure = Checker::new(records(), encode, row())
        .truncation(Truncation::AllowRest)
        .run()
        .map_err(shown)
        .expect_err("an Interrupted read ends the records");
    assert_eq!(failure.run, Run::Chunked, "{failure}");
    assert!(matches!(failure.fault, Fault::Error { .. }), "{failure}");
    assert!(failure.to_string().contains("Interrupted"), "{failure}");
}

/// The same without lenframe: a reader whose second read is interrupted.
#[test]
fn reproduction_csv_reader_is_stopped_by_an_interrupted_read() {
    use std::io::{self, Read};

    /// `a,b\nc,d\n`, a byte at a time, the second read `Interrupted`.
    struct Flaky {
        data: &'static [u8],
        reads: usize,
    }
    impl Read for Flaky {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.reads += 1;
            if self.reads == 2 {
                return Err(io::ErrorKind::Interrupted.into());
            }
            let n = self.data.len().min(buf.len()).min(1);
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }
    let flaky = Flaky {
        data: b"a,b\nc,d\n",
        reads: 0,
    };
    let mut records = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(flaky)
        .into_records();
    let first = records.next().expect("an item");
    let error = first.expect_err("the interrupted read is an error");
    assert!(
        matches!(error.kind(), csv::ErrorKind::Io(e) if e.kind() == io::ErrorKind::Interrupted)
    );
    // `std::io::BufRead::read_line` retries the same read and gets the line.
    let mut line = String::new();
    let mut lines = io::BufReader::new(Flaky {
        data: b"a,b\n",
        reads: 0,
    });
    io::BufRead::read_line(&mut lines, &mut line).unwrap();
    assert_eq!(line, "a,b\n");
}
