//! The SPF record model (RFC 7208 §4.6, §5, §6, §7), with byte positions kept for diagnostics.

use std::net::{Ipv4Addr, Ipv6Addr};

pub use crate::text::Span;

/// A parsed `v=spf1` record.
#[derive(Clone, Debug, PartialEq)]
pub struct SpfRecord {
    /// The record as published, joined from its strings (lossy UTF-8 for display).
    pub text: String,
    pub terms: Vec<Term>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Term {
    pub span: Span,
    pub kind: TermKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TermKind {
    Directive {
        qualifier: Qualifier,
        /// Whether the qualifier was written out (`+all`) rather than implied (`all`).
        explicit_qualifier: bool,
        mechanism: Mechanism,
    },
    Modifier(Modifier),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Qualifier {
    Pass,
    Fail,
    SoftFail,
    Neutral,
}

impl Qualifier {
    pub fn symbol(self) -> char {
        match self {
            Qualifier::Pass => '+',
            Qualifier::Fail => '-',
            Qualifier::SoftFail => '~',
            Qualifier::Neutral => '?',
        }
    }
}

/// `ip4-cidr-length` and `ip6-cidr-length` of `a` and `mx` (RFC 7208 §5.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DualCidr {
    pub v4: u8,
    pub v6: u8,
}

impl Default for DualCidr {
    fn default() -> Self {
        DualCidr { v4: 32, v6: 128 }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Mechanism {
    All,
    Include(MacroString),
    A {
        domain: Option<MacroString>,
        cidr: DualCidr,
    },
    Mx {
        domain: Option<MacroString>,
        cidr: DualCidr,
    },
    Ptr(Option<MacroString>),
    Ip4 {
        addr: Ipv4Addr,
        prefix: u8,
    },
    Ip6 {
        addr: Ipv6Addr,
        prefix: u8,
    },
    Exists(MacroString),
}

impl Mechanism {
    pub fn name(&self) -> &'static str {
        match self {
            Mechanism::All => "all",
            Mechanism::Include(_) => "include",
            Mechanism::A { .. } => "a",
            Mechanism::Mx { .. } => "mx",
            Mechanism::Ptr(_) => "ptr",
            Mechanism::Ip4 { .. } => "ip4",
            Mechanism::Ip6 { .. } => "ip6",
            Mechanism::Exists(_) => "exists",
        }
    }

    /// Whether evaluating it costs one of the ten DNS lookups (RFC 7208 §4.6.4).
    pub fn counts_as_lookup(&self) -> bool {
        matches!(
            self,
            Mechanism::Include(_)
                | Mechanism::A { .. }
                | Mechanism::Mx { .. }
                | Mechanism::Ptr(_)
                | Mechanism::Exists(_)
        )
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Modifier {
    Redirect(MacroString),
    Exp(MacroString),
    /// An unknown modifier: ignored by evaluation (RFC 7208 §6).
    Unknown {
        name: String,
        value: MacroString,
    },
}

/// A `domain-spec` or `macro-string`: literal text and macros (RFC 7208 §7.1).
#[derive(Clone, Debug, PartialEq)]
pub struct MacroString {
    /// The text as written.
    pub raw: String,
    pub parts: Vec<MacroPart>,
}

impl MacroString {
    /// True when the string has no macro, so it names one fixed domain.
    pub fn is_literal(&self) -> bool {
        self.parts
            .iter()
            .all(|p| matches!(p, MacroPart::Literal(_)))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum MacroPart {
    /// Literal text, with `%%`, `%_` and `%-` already expanded.
    Literal(String),
    Macro {
        /// One of `s l o d i p h c r t v` (lower-case).
        letter: char,
        /// Upper-case letter: URL-escape the expansion (§7.3).
        url_escape: bool,
        /// Keep at most this many right-hand parts.
        digits: Option<u32>,
        reverse: bool,
        /// Delimiters from `.-+,/_=`; empty means `.`.
        delimiters: String,
    },
}
