//! How the checker compares an encoded message with a decoded one, and shows a decoded one in
//! a report: by the types' own `PartialEq` and `Debug`, or by functions the user gives.

use std::fmt;

/// How the checker compares an encoded message with a decoded one: [`Equal`] (`PartialEq`),
/// or a function ([`Checker::compare`](super::Checker::compare)).
pub trait Compare<M, T> {
    /// Whether `decoded` is `expected`.
    fn same(&self, expected: &M, decoded: &T) -> bool;
}

/// Compares with `PartialEq`: `expected == decoded` (the two types may differ, as `Bytes` and
/// `BytesMut` do).
#[derive(Clone, Copy, Debug, Default)]
pub struct Equal;

impl<M: PartialEq<T>, T> Compare<M, T> for Equal {
    fn same(&self, expected: &M, decoded: &T) -> bool {
        expected == decoded
    }
}

/// Compares with a function: see [`Checker::compare`](super::Checker::compare).
#[derive(Clone, Copy, Debug)]
pub struct CompareWith<F>(pub(super) F);

impl<M, T, F: Fn(&M, &T) -> bool> Compare<M, T> for CompareWith<F> {
    fn same(&self, expected: &M, decoded: &T) -> bool {
        (self.0)(expected, decoded)
    }
}

/// How the checker shows a decoded message in a report: [`Debugged`] (`{:?}`), or a function
/// ([`Checker::render`](super::Checker::render)).
pub trait Render<T> {
    /// `decoded`, for a report.
    fn render(&self, decoded: &T) -> String;
}

/// Shows with `Debug`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Debugged;

impl<T: fmt::Debug> Render<T> for Debugged {
    fn render(&self, decoded: &T) -> String {
        format!("{decoded:?}")
    }
}

/// Shows with a function: see [`Checker::render`](super::Checker::render).
#[derive(Clone, Copy, Debug)]
pub struct RenderWith<F>(pub(super) F);

impl<T, F: Fn(&T) -> String> Render<T> for RenderWith<F> {
    fn render(&self, decoded: &T) -> String {
        (self.0)(decoded)
    }
}
