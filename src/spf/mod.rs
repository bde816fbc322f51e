//! SPF (RFC 7208): the record parser, `check_host()`, and the static audit of the include tree.

pub mod audit;
pub mod record;

pub use record::{
    DualCidr, MacroPart, MacroString, Mechanism, Modifier, Qualifier, Span, SpfRecord, Term,
    TermKind,
};
