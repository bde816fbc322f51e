//! SPF (RFC 7208): the record parser, `check_host()`, and the static audit of the include tree.

pub mod audit;
pub mod check_host;
pub mod lookup;
pub mod macros;
pub mod parser;
pub mod record;
pub mod rules;

pub use check_host::{
    CheckHostFacts, CheckHostInput, CheckHostOptions, CheckHostOutcome, DecidingTerm, SpfResult,
    TraceStep, check_host,
};
pub use lookup::{SpfFetch, fetch_spf_record};
pub use parser::{SpfSyntaxError, is_spf_record, parse};
pub use record::{
    DualCidr, MacroPart, MacroString, Mechanism, Modifier, Qualifier, Span, SpfRecord, Term,
    TermKind,
};
