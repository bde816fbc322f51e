//! The one way bytes are handed to mail-parser. It documents that it never panics, but it
//! has: mail-parser 0.11.9 subtracts past zero in its quoted-printable decoder on a part
//! that is only `=` (found by tests/integration/reports_failure.rs's property test), which
//! panics wherever overflow checks are on. One bad message must not stop a run, so a panic
//! there is caught and becomes [`ParserFailed`], which each caller reports on that input.

use mail_parser::{Message, MessageParser};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// mail-parser failed on the bytes (it panicked; the panic was caught).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the MIME parser failed on this message")]
pub struct ParserFailed;

/// A whole message; `Ok(None)` when mail-parser finds none.
pub fn parse<'x>(
    parser: &MessageParser,
    bytes: &'x [u8],
) -> Result<Option<Message<'x>>, ParserFailed> {
    catch_unwind(AssertUnwindSafe(|| parser.parse(bytes))).map_err(|_| ParserFailed)
}

/// A header block only; `Ok(None)` when mail-parser finds none.
pub fn parse_headers<'x>(
    parser: &MessageParser,
    bytes: &'x [u8],
) -> Result<Option<Message<'x>>, ParserFailed> {
    catch_unwind(AssertUnwindSafe(|| parser.parse_headers(bytes))).map_err(|_| ParserFailed)
}
