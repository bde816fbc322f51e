//! Master files (RFC 1035 §5.1, RFC 3597 generic types) read into zone data.
//!
//! We lex the file ourselves instead of using hickory-proto's `serialize::txt::Parser`: in 0.26
//! that parser decodes `\DDD` as `d1<<16 + d2<<8 + d3`, splits quoted strings inside `( )` on
//! spaces (keeping the quotes), rejects `_` inside labels and does not know type 99 (SPF); mail
//! zones use all of these. Only its TTL syntax (`parse_ttl`) and type mnemonics are reused.

use super::name::unescape_at;
use super::{DnsName, NameError, Rdata, RecordType, ZoneSet};
use crate::input::{self, InputError, InputKind};
use hickory_proto::rr::RecordType as HickoryType;
use hickory_proto::serialize::txt::parse_ttl;
use std::io::Read;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// TTL for records when the file gives none and has no `$TTL`.
const DEFAULT_TTL: u32 = 3600;
const MAX_CHARACTER_STRING: usize = 255;

/// The fields of an SOA record, kept so a test server can serve the zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Soa {
    pub mname: String,
    pub rname: String,
    pub serial: u32,
    pub refresh: u32,
    pub retry: u32,
    pub expire: u32,
    pub minimum: u32,
}

/// What one master-file record holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ZoneData {
    /// A, AAAA, MX, TXT, SPF, PTR, CNAME or NS.
    Rdata(Rdata),
    Soa(Soa),
    /// A type we do not model (SRV, CAA, ...): it only tells that the owner name exists.
    Other {
        type_code: u16,
    },
}

/// One record of a master file. Names are [`DnsName::to_text`]: escapes resolved to octets and
/// written back in one canonical presentation form, lower-case, without the trailing dot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneRecord {
    pub owner: String,
    pub ttl: u32,
    pub data: ZoneData,
    /// 1-based line where the record starts.
    pub line: usize,
}

/// A zone file that could not be loaded. Always names the file; syntax errors name the line.
#[derive(Debug, thiserror::Error)]
pub enum ZoneFileError {
    /// Not a regular file, over the size limit, or unreadable ([`crate::input`]).
    #[error("{source}")]
    Read {
        file: PathBuf,
        #[source]
        source: InputError,
    },
    #[error("{}: origin {origin:?} is not a valid domain name", file.display())]
    BadOrigin { file: PathBuf, origin: String },
    #[error("{}:{line}: {}", file.display(), kind.shown(*first_entry))]
    Syntax {
        file: PathBuf,
        line: usize,
        kind: ZoneSyntaxError,
        /// The file's first record or directive: nothing in it was a zone yet, so it may be
        /// any file at all (a campaign may name `/proc/self/environ`), and the message quotes
        /// none of its content.
        first_entry: bool,
    },
}

impl ZoneFileError {
    pub fn file(&self) -> &Path {
        match self {
            ZoneFileError::Read { file, .. }
            | ZoneFileError::BadOrigin { file, .. }
            | ZoneFileError::Syntax { file, .. } => file,
        }
    }

    /// The 1-based line of a syntax error.
    pub fn line(&self) -> Option<usize> {
        match self {
            ZoneFileError::Syntax { line, .. } => Some(*line),
            _ => None,
        }
    }
}

/// What is wrong at a given line of a zone file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ZoneSyntaxError {
    #[error("unclosed quoted string")]
    UnclosedQuote,
    #[error("'(' without a matching ')'")]
    UnclosedParen,
    #[error("')' without a matching '('")]
    UnexpectedCloseParen,
    #[error("nested '('")]
    NestedParen,
    #[error("bad escape sequence")]
    BadEscape,
    #[error("control character 0x{0:02x} outside a quoted string")]
    ControlChar(u8),
    #[error("unsupported directive {0}")]
    UnsupportedDirective(String),
    #[error("{0} needs exactly one argument")]
    BadDirective(&'static str),
    #[error("record with no owner name")]
    NoOwner,
    #[error("relative name {0:?} but no $ORIGIN")]
    NoOrigin(String),
    #[error("invalid domain name {name:?}: {reason}")]
    BadName { name: String, reason: &'static str },
    #[error("missing record type")]
    MissingType,
    #[error("unknown record type {0:?}")]
    UnknownType(String),
    #[error("unsupported class {0:?}")]
    UnsupportedClass(String),
    #[error("bad TTL {0:?}")]
    BadTtl(String),
    #[error("bad {rtype} data: {reason}")]
    BadRdata { rtype: String, reason: String },
}

impl ZoneSyntaxError {
    /// The message; for the first entry of a file, without the file's own text.
    fn shown(&self, first_entry: bool) -> String {
        if !first_entry {
            return self.to_string();
        }
        let what = match self {
            ZoneSyntaxError::UnsupportedDirective(_) => "an unsupported directive",
            ZoneSyntaxError::NoOrigin(_) => "a relative name but no $ORIGIN",
            ZoneSyntaxError::BadName { .. } => "an invalid domain name",
            ZoneSyntaxError::UnknownType(_) => "an unknown record type",
            ZoneSyntaxError::UnsupportedClass(_) => "an unsupported class",
            ZoneSyntaxError::BadTtl(_) => "a bad TTL",
            ZoneSyntaxError::BadRdata { .. } => "bad record data",
            _ => return self.to_string(),
        };
        format!(
            "not a zone file: the first record or directive has {what} (its content is not shown)"
        )
    }
}

type Located<T> = Result<T, (usize, ZoneSyntaxError)>;

/// Read and parse one zone file of at most [`InputKind::ZoneFile`]'s default size.
pub fn read_zone_file(path: &Path) -> Result<Vec<ZoneRecord>, ZoneFileError> {
    let mut records = Vec::new();
    parse_file(path, InputKind::ZoneFile.default_limit(), |record| {
        records.push(record)
    })?;
    Ok(records)
}

/// Parse master-file text. `origin_hint` is the origin before any `$ORIGIN` (for `@` and
/// relative names); `file` only labels errors.
pub fn parse_zone(
    bytes: &[u8],
    origin_hint: Option<&str>,
    file: &Path,
) -> Result<Vec<ZoneRecord>, ZoneFileError> {
    let mut records = Vec::new();
    let lexer = Lexer::new(bytes.to_vec(), None);
    parse_each(lexer, origin_hint, file, |record| records.push(record))?;
    Ok(records)
}

/// Parse a zone file as it is read, at most `limit` bytes, handing each record to `each`.
fn parse_file(path: &Path, limit: u64, each: impl FnMut(ZoneRecord)) -> Result<(), ZoneFileError> {
    let read_error = |source| ZoneFileError::Read {
        file: path.to_path_buf(),
        source,
    };
    let file = input::open_limited(path, InputKind::ZoneFile, limit).map_err(read_error)?;
    // Bounded again while read: a file that grows past the limit stops there.
    let name = crate::path::display(path);
    let mut bounded = input::Bounded::new(file, InputKind::ZoneFile, &name, limit);
    parse_each(Lexer::new(Vec::new(), Some(&mut bounded)), None, path, each)
}

/// Parse master-file text one entry at a time, handing each record to `each` as it is read:
/// loading a zone never holds more than one entry's tokens besides the zone data itself.
fn parse_each(
    mut lexer: Lexer<'_>,
    origin_hint: Option<&str>,
    file: &Path,
    mut each: impl FnMut(ZoneRecord),
) -> Result<(), ZoneFileError> {
    let origin = match origin_hint {
        None => None,
        Some(hint) => {
            let absolute = if hint.ends_with('.') {
                hint.to_string()
            } else {
                format!("{hint}.")
            };
            let token = Token {
                raw: absolute.into_bytes(),
                quoted: false,
                line: 0,
            };
            match parse_name(&token, None) {
                Ok(name) => Some(name),
                Err(_) => {
                    return Err(ZoneFileError::BadOrigin {
                        file: file.to_path_buf(),
                        origin: hint.to_string(),
                    });
                }
            }
        }
    };
    let mut reader = Reader {
        origin,
        default_ttl: None,
        last_ttl: None,
        last_owner: None,
    };
    let mut first = true;
    let outcome = loop {
        let entry = match lexer.next_entry() {
            Ok(Some(entry)) => entry,
            Ok(None) => break Ok(()),
            Err(error) => break Err((error, false)),
        };
        match reader.entry(&entry) {
            Ok(Some(record)) => each(record),
            Ok(None) => {}
            Err(error) => break Err((error, first)),
        }
        first = false;
    };
    // A failed read ends the input early: that, not what the cut made of the text, is the
    // error.
    if let Some(error) = lexer.io_error {
        return Err(ZoneFileError::Read {
            file: file.to_path_buf(),
            source: InputError::Open {
                kind: InputKind::ZoneFile,
                file: crate::path::display(file),
                error,
            },
        });
    }
    outcome.map_err(|((line, kind), first_entry)| ZoneFileError::Syntax {
        file: file.to_path_buf(),
        line,
        kind,
        first_entry,
    })
}

impl ZoneSet {
    /// Load any number of zone files into one set (one per run, all zones together), each
    /// at most [`InputKind::ZoneFile`]'s default size.
    pub fn load_files(paths: &[PathBuf]) -> Result<ZoneSet, ZoneFileError> {
        ZoneSet::load_files_limited(paths, InputKind::ZoneFile.default_limit())
    }

    /// [`ZoneSet::load_files`] with each file at most `limit` bytes (`--max-zone-size`).
    pub fn load_files_limited(paths: &[PathBuf], limit: u64) -> Result<ZoneSet, ZoneFileError> {
        let mut zones = ZoneSet::new();
        for path in paths {
            parse_file(path, limit, |record| zones.add_record(record))?;
        }
        zones.shrink_to_fit();
        Ok(zones)
    }

    /// Load master-file text; `file_name` only labels errors.
    pub fn load_str(
        text: &str,
        origin_hint: Option<&str>,
        file_name: &str,
    ) -> Result<ZoneSet, ZoneFileError> {
        ZoneSet::load_bytes(text.as_bytes(), origin_hint, file_name)
    }

    /// Like [`ZoneSet::load_str`] for raw bytes (TXT data need not be UTF-8).
    pub fn load_bytes(
        bytes: &[u8],
        origin_hint: Option<&str>,
        file_name: &str,
    ) -> Result<ZoneSet, ZoneFileError> {
        let mut zones = ZoneSet::new();
        let lexer = Lexer::new(bytes.to_vec(), None);
        parse_each(lexer, origin_hint, Path::new(file_name), |record| {
            zones.add_record(record)
        })?;
        zones.shrink_to_fit();
        Ok(zones)
    }

    /// Add parsed records: SOA owners become apexes, unmodelled types only make names exist.
    pub fn add_records(&mut self, records: &[ZoneRecord]) {
        for record in records {
            self.add_record(record.clone());
        }
    }

    fn add_record(&mut self, record: ZoneRecord) {
        match record.data {
            ZoneData::Rdata(rdata) => self.insert(&record.owner, rdata),
            ZoneData::Soa(_) => {
                self.add_apex(&record.owner);
                self.insert(&record.owner, Rdata::Other(RecordType::Soa));
            }
            ZoneData::Other { .. } => self.insert_name(&record.owner),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Lexer: entries (one record or directive each, parentheses joined) of raw tokens.

struct Token {
    /// As written, escapes kept, without the surrounding quotes.
    raw: Vec<u8>,
    quoted: bool,
    line: usize,
}

struct Entry {
    line: usize,
    /// The entry's line starts with blank space: the owner is the previous one.
    blank_owner: bool,
    tokens: Vec<Token>,
}

fn is_control(b: u8) -> bool {
    (b < 0x20 && b != b'\t') || b == 0x7f
}

/// How much of a zone file is read at a time.
const CHUNK: usize = 256 * 1024;

/// Entries one at a time from a window of the input, so that a large zone is never held
/// whole, as bytes or as tokens.
struct Lexer<'a> {
    /// The input from `i`'s entry on (what came before is dropped as the window moves).
    buf: Vec<u8>,
    /// The rest of the input; `None` once it is all in `buf`.
    src: Option<&'a mut dyn Read>,
    /// A read that failed: the input ends there, and the error is the file's.
    io_error: Option<std::io::Error>,
    state: LexState,
}

#[derive(Clone, Copy)]
struct LexState {
    i: usize,
    line: usize,
    line_starts_blank: bool,
    at_line_start: bool,
    paren_line: Option<usize>,
}

impl<'a> Lexer<'a> {
    fn new(buf: Vec<u8>, src: Option<&'a mut dyn Read>) -> Lexer<'a> {
        Lexer {
            buf,
            src,
            io_error: None,
            state: LexState {
                i: 0,
                line: 1,
                line_starts_blank: false,
                at_line_start: true,
                paren_line: None,
            },
        }
    }

    /// The next entry, `None` at the end of the input. An entry that reaches the end of the
    /// window (its last byte, or the one look-ahead byte past it) is lexed again once more of
    /// the input is read, so a window's edge never cuts a token.
    fn next_entry(&mut self) -> Located<Option<Entry>> {
        loop {
            let start = self.state;
            let result = self.lex_entry();
            if self.src.is_none() || self.state.i + 1 < self.buf.len() {
                return result;
            }
            self.state = start;
            self.refill();
        }
    }

    /// Drop what was lexed, then read at least a chunk more (as much again as the window
    /// holds when one entry outgrows it, so a long entry is lexed a logarithmic number of
    /// times).
    fn refill(&mut self) {
        let Some(src) = self.src.as_mut() else {
            return;
        };
        self.buf.drain(..self.state.i.min(self.buf.len()));
        self.state.i = 0;
        let mut filled = self.buf.len();
        self.buf.resize(filled + CHUNK.max(filled), 0);
        while filled < self.buf.len() {
            match src.read(&mut self.buf[filled..]) {
                Ok(0) => {
                    self.src = None;
                    break;
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.io_error = Some(e);
                    self.src = None;
                    break;
                }
            }
        }
        self.buf.truncate(filled);
    }

    fn lex_entry(&mut self) -> Located<Option<Entry>> {
        let bytes = &self.buf;
        let this = &mut self.state;
        let mut current: Option<Entry> = None;
        while let Some(&b) = bytes.get(this.i) {
            if this.at_line_start {
                this.line_starts_blank = b == b' ' || b == b'\t';
                this.at_line_start = false;
            }
            let (line, line_starts_blank) = (this.line, this.line_starts_blank);
            let i = &mut this.i;
            match b {
                b'\n' => {
                    this.line += 1;
                    *i += 1;
                    this.at_line_start = true;
                    if this.paren_line.is_none() && current.is_some() {
                        return Ok(current);
                    }
                }
                b' ' | b'\t' | b'\r' => *i += 1,
                b';' => {
                    while bytes.get(*i).is_some_and(|&c| c != b'\n') {
                        *i += 1;
                    }
                }
                b'(' => {
                    if this.paren_line.is_some() {
                        return Err((line, ZoneSyntaxError::NestedParen));
                    }
                    this.paren_line = Some(line);
                    *i += 1;
                }
                b')' => {
                    if this.paren_line.take().is_none() {
                        return Err((line, ZoneSyntaxError::UnexpectedCloseParen));
                    }
                    *i += 1;
                }
                b'"' => {
                    let start = line;
                    let mut raw = Vec::new();
                    *i += 1;
                    loop {
                        match bytes.get(*i) {
                            None => return Err((start, ZoneSyntaxError::UnclosedQuote)),
                            Some(b'"') => {
                                *i += 1;
                                break;
                            }
                            Some(b'\\') => {
                                let Some(&next) = bytes.get(*i + 1) else {
                                    return Err((start, ZoneSyntaxError::UnclosedQuote));
                                };
                                if next == b'\n' {
                                    this.line += 1;
                                }
                                raw.extend_from_slice(&[b'\\', next]);
                                *i += 2;
                            }
                            Some(&c) => {
                                if c == b'\n' {
                                    this.line += 1;
                                }
                                raw.push(c);
                                *i += 1;
                            }
                        }
                    }
                    push_token(&mut current, raw, true, start, line_starts_blank);
                }
                c if is_control(c) => return Err((line, ZoneSyntaxError::ControlChar(c))),
                _ => {
                    let mut raw = Vec::new();
                    while let Some(&c) = bytes.get(*i) {
                        if matches!(c, b' ' | b'\t' | b'\r' | b'\n' | b';' | b'(' | b')' | b'"') {
                            break;
                        }
                        if is_control(c) {
                            return Err((line, ZoneSyntaxError::ControlChar(c)));
                        }
                        if c == b'\\' {
                            match bytes.get(*i + 1) {
                                Some(&next) if next != b'\n' && !is_control(next) => {
                                    raw.extend_from_slice(&[b'\\', next]);
                                    *i += 2;
                                    continue;
                                }
                                _ => return Err((line, ZoneSyntaxError::BadEscape)),
                            }
                        }
                        raw.push(c);
                        *i += 1;
                    }
                    push_token(&mut current, raw, false, line, line_starts_blank);
                }
            }
        }
        if let Some(open) = this.paren_line {
            return Err((open, ZoneSyntaxError::UnclosedParen));
        }
        Ok(current)
    }
}

fn push_token(current: &mut Option<Entry>, raw: Vec<u8>, quoted: bool, line: usize, blank: bool) {
    let entry = current.get_or_insert_with(|| Entry {
        line,
        blank_owner: blank,
        tokens: Vec::new(),
    });
    entry.tokens.push(Token { raw, quoted, line });
}

/// Resolve `\X` and `\DDD` (decimal) escapes into raw octets.
fn unescape(raw: &[u8], line: usize) -> Located<Vec<u8>> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&c) = raw.get(i) {
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let (octet, len) = unescape_at(raw, i).map_err(|_| (line, ZoneSyntaxError::BadEscape))?;
        out.push(octet);
        i += len;
    }
    Ok(out)
}

fn token_text(token: &Token) -> String {
    String::from_utf8_lossy(&token.raw).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Names.

/// A name token: `@` is the origin, a name without the final `.` is relative to it.
fn parse_name(token: &Token, origin: Option<&DnsName>) -> Located<DnsName> {
    if token.raw.as_slice() == b"@" && !token.quoted {
        return origin
            .cloned()
            .ok_or((token.line, ZoneSyntaxError::NoOrigin("@".into())));
    }
    DnsName::parse_relative(&token.raw, origin).map_err(|error| {
        let reason = match error {
            NameError::Relative => {
                return (token.line, ZoneSyntaxError::NoOrigin(token_text(token)));
            }
            NameError::BadEscape => return (token.line, ZoneSyntaxError::BadEscape),
            NameError::Empty => "empty name",
            NameError::EmptyLabel => "empty label",
            NameError::LabelTooLong => "label longer than 63 octets",
            NameError::TooLong => "longer than 255 octets",
        };
        (
            token.line,
            ZoneSyntaxError::BadName {
                name: token_text(token),
                reason,
            },
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Entries to records.

struct Reader {
    origin: Option<DnsName>,
    default_ttl: Option<u32>,
    last_ttl: Option<u32>,
    last_owner: Option<String>,
}

/// The record types a zone file may name, resolved to what we keep.
enum TypeKind {
    Known(RecordType),
    Other(u16),
}

fn record_type_of(token: &Token) -> Located<(TypeKind, String)> {
    let text = token_text(token).to_ascii_uppercase();
    let unknown = || (token.line, ZoneSyntaxError::UnknownType(token_text(token)));
    let code: u16 = if let Some(digits) = text.strip_prefix("TYPE") {
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(unknown());
        }
        digits.parse().map_err(|_| unknown())?
    } else {
        match text.as_str() {
            "SPF" => 99,
            _ => u16::from(HickoryType::from_str(&text).map_err(|_| unknown())?),
        }
    };
    let known = match code {
        1 => Some(RecordType::A),
        2 => Some(RecordType::Ns),
        5 => Some(RecordType::Cname),
        6 => Some(RecordType::Soa),
        12 => Some(RecordType::Ptr),
        15 => Some(RecordType::Mx),
        16 => Some(RecordType::Txt),
        28 => Some(RecordType::Aaaa),
        99 => Some(RecordType::Spf),
        // Meta and query-only types (OPT, TKEY, TSIG, IXFR, AXFR, ANY, ...) are not zone data.
        0 | 41 | 128..=255 => return Err(unknown()),
        _ => None,
    };
    let kind = match known {
        Some(t) => TypeKind::Known(t),
        None => TypeKind::Other(code),
    };
    Ok((kind, text))
}

fn parse_ttl_token(token: &Token) -> Located<u32> {
    let text = token_text(token);
    parse_ttl(&text).map_err(|_| (token.line, ZoneSyntaxError::BadTtl(text)))
}

impl Reader {
    /// The record of one entry; `None` for a directive.
    fn entry(&mut self, entry: &Entry) -> Located<Option<ZoneRecord>> {
        let Some(first) = entry.tokens.first() else {
            return Ok(None);
        };
        if !entry.blank_owner && !first.quoted && first.raw.first() == Some(&b'$') {
            return self.directive(entry, first).map(|()| None);
        }
        let mut rest = entry.tokens.iter().peekable();
        let owner = if entry.blank_owner {
            self.last_owner
                .clone()
                .ok_or((entry.line, ZoneSyntaxError::NoOwner))?
        } else {
            let token = rest.next().ok_or((entry.line, ZoneSyntaxError::NoOwner))?;
            parse_name(token, self.origin.as_ref())?.to_text()
        };
        self.last_owner = Some(owner.clone());

        // [TTL] [class] or [class] [TTL], then the type.
        let mut ttl = None;
        let mut class_seen = false;
        let (kind, type_text, type_line) = loop {
            let token = rest
                .next()
                .ok_or((entry.line, ZoneSyntaxError::MissingType))?;
            if token.raw.first().is_some_and(u8::is_ascii_digit) && ttl.is_none() {
                ttl = Some(parse_ttl_token(token)?);
                continue;
            }
            let upper = token_text(token).to_ascii_uppercase();
            if !class_seen
                && (matches!(upper.as_str(), "IN" | "CH" | "CS" | "HS" | "NONE")
                    || upper.starts_with("CLASS"))
            {
                if upper != "IN" && upper != "CLASS1" {
                    return Err((token.line, ZoneSyntaxError::UnsupportedClass(upper)));
                }
                class_seen = true;
                continue;
            }
            let (kind, text) = record_type_of(token)?;
            break (kind, text, token.line);
        };
        if let Some(t) = ttl {
            self.last_ttl = Some(t);
        }
        let rdata: Vec<&Token> = rest.collect();
        let data = parse_rdata(&kind, &type_text, type_line, &rdata, self.origin.as_ref())?;
        let ttl = ttl
            .or(self.default_ttl)
            .or(self.last_ttl)
            .or(match &data {
                ZoneData::Soa(soa) => Some(soa.minimum),
                _ => None,
            })
            .unwrap_or(DEFAULT_TTL);
        Ok(Some(ZoneRecord {
            owner,
            ttl,
            data,
            line: entry.line,
        }))
    }

    fn directive(&mut self, entry: &Entry, first: &Token) -> Located<()> {
        let name = token_text(first).to_ascii_uppercase();
        let args = &entry.tokens[1..];
        match name.as_str() {
            "$ORIGIN" => {
                let [arg] = args else {
                    return Err((entry.line, ZoneSyntaxError::BadDirective("$ORIGIN")));
                };
                self.origin = Some(parse_name(arg, self.origin.as_ref())?);
            }
            "$TTL" => {
                let [arg] = args else {
                    return Err((entry.line, ZoneSyntaxError::BadDirective("$TTL")));
                };
                self.default_ttl = Some(parse_ttl_token(arg)?);
            }
            // $INCLUDE would read other files named by the input; zones are listed explicitly.
            _ => return Err((entry.line, ZoneSyntaxError::UnsupportedDirective(name))),
        }
        Ok(())
    }
}

fn bad_rdata(line: usize, rtype: &str, reason: impl Into<String>) -> (usize, ZoneSyntaxError) {
    (
        line,
        ZoneSyntaxError::BadRdata {
            rtype: rtype.to_string(),
            reason: reason.into(),
        },
    )
}

fn parse_rdata(
    kind: &TypeKind,
    rtype: &str,
    type_line: usize,
    tokens: &[&Token],
    origin: Option<&DnsName>,
) -> Located<ZoneData> {
    let line_of = |i: usize| tokens.get(i).map_or(type_line, |t| t.line);
    let exactly = |n: usize| -> Located<()> {
        if tokens.len() == n {
            Ok(())
        } else {
            let line = line_of(n.min(tokens.len().saturating_sub(1)));
            Err(bad_rdata(
                line,
                rtype,
                format!("expected {n} field(s), found {}", tokens.len()),
            ))
        }
    };

    // RFC 3597 generic form: \# <length> <hex>...
    if let Some(first) = tokens.first()
        && !first.quoted
        && first.raw.as_slice() == b"\\#"
    {
        let bytes = parse_generic(rtype, tokens)?;
        return generic_to_data(kind, rtype, first.line, &bytes);
    }

    let field = |i: usize| -> Located<&Token> {
        tokens
            .get(i)
            .copied()
            .ok_or_else(|| bad_rdata(type_line, rtype, "missing field"))
    };
    let text = |i: usize| -> Located<String> {
        let token = field(i)?;
        let bytes = unescape(&token.raw, token.line)?;
        String::from_utf8(bytes).map_err(|_| bad_rdata(token.line, rtype, "not UTF-8"))
    };
    let name = |i: usize| -> Located<String> { Ok(parse_name(field(i)?, origin)?.to_text()) };
    let number = |i: usize| -> Located<u32> {
        let s = text(i)?;
        s.parse()
            .map_err(|_| bad_rdata(line_of(i), rtype, format!("{s:?} is not a number")))
    };

    let known = match kind {
        // Not modelled: the data is not checked, the name exists.
        TypeKind::Other(code) => return Ok(ZoneData::Other { type_code: *code }),
        TypeKind::Known(t) => t,
    };
    let rdata = match known {
        RecordType::A => {
            exactly(1)?;
            let s = text(0)?;
            Rdata::A(
                Ipv4Addr::from_str(&s)
                    .map_err(|_| bad_rdata(line_of(0), rtype, format!("{s:?} is not IPv4")))?,
            )
        }
        RecordType::Aaaa => {
            exactly(1)?;
            let s = text(0)?;
            Rdata::Aaaa(
                Ipv6Addr::from_str(&s)
                    .map_err(|_| bad_rdata(line_of(0), rtype, format!("{s:?} is not IPv6")))?,
            )
        }
        RecordType::Mx => {
            exactly(2)?;
            let preference = u16::try_from(number(0)?)
                .map_err(|_| bad_rdata(line_of(0), rtype, "preference over 65535"))?;
            Rdata::Mx {
                preference,
                exchange: name(1)?,
            }
        }
        RecordType::Txt | RecordType::Spf => {
            if tokens.is_empty() {
                return Err(bad_rdata(type_line, rtype, "no character-string"));
            }
            let mut strings = Vec::with_capacity(tokens.len());
            for token in tokens {
                let bytes = unescape(&token.raw, token.line)?;
                if bytes.len() > MAX_CHARACTER_STRING {
                    return Err(bad_rdata(
                        token.line,
                        rtype,
                        format!("character-string of {} octets (max 255)", bytes.len()),
                    ));
                }
                strings.push(bytes);
            }
            if *known == RecordType::Txt {
                Rdata::Txt(strings)
            } else {
                Rdata::Spf(strings)
            }
        }
        RecordType::Ptr => {
            exactly(1)?;
            Rdata::Ptr(name(0)?)
        }
        RecordType::Cname => {
            exactly(1)?;
            Rdata::Cname(name(0)?)
        }
        RecordType::Ns => {
            exactly(1)?;
            Rdata::Ns(name(0)?)
        }
        RecordType::Soa => {
            exactly(7)?;
            let ttl_field = |i: usize| parse_ttl_token(field(i)?);
            return Ok(ZoneData::Soa(Soa {
                mname: name(0)?,
                rname: name(1)?,
                serial: number(2)?,
                refresh: ttl_field(3)?,
                retry: ttl_field(4)?,
                expire: ttl_field(5)?,
                minimum: ttl_field(6)?,
            }));
        }
    };
    Ok(ZoneData::Rdata(rdata))
}

fn parse_generic(rtype: &str, tokens: &[&Token]) -> Located<Vec<u8>> {
    let line = tokens.first().map_or(0, |t| t.line);
    let Some(len_token) = tokens.get(1) else {
        return Err(bad_rdata(line, rtype, "\\# without a length"));
    };
    let len: usize = token_text(len_token)
        .parse()
        .map_err(|_| bad_rdata(len_token.line, rtype, "bad \\# length"))?;
    let mut hex = Vec::new();
    for token in tokens.iter().skip(2) {
        hex.extend_from_slice(&token.raw);
    }
    if hex.len() % 2 != 0 {
        return Err(bad_rdata(line, rtype, "odd number of hex digits"));
    }
    let mut bytes = Vec::with_capacity(hex.len() / 2);
    for pair in hex.chunks(2) {
        let digit = |c: u8| char::from(c).to_digit(16);
        match (digit(pair[0]), digit(pair[1])) {
            (Some(h), Some(l)) => bytes.push((h * 16 + l) as u8),
            _ => return Err(bad_rdata(line, rtype, "bad hex digit")),
        }
    }
    if bytes.len() != len {
        return Err(bad_rdata(
            line,
            rtype,
            format!("\\# length {len} but {} octets", bytes.len()),
        ));
    }
    Ok(bytes)
}

fn generic_to_data(kind: &TypeKind, rtype: &str, line: usize, bytes: &[u8]) -> Located<ZoneData> {
    let known = match kind {
        TypeKind::Other(code) => return Ok(ZoneData::Other { type_code: *code }),
        TypeKind::Known(t) => *t,
    };
    let rdata = match known {
        RecordType::A => {
            let octets: [u8; 4] = bytes
                .try_into()
                .map_err(|_| bad_rdata(line, rtype, "A data must be 4 octets"))?;
            Rdata::A(Ipv4Addr::from(octets))
        }
        RecordType::Aaaa => {
            let octets: [u8; 16] = bytes
                .try_into()
                .map_err(|_| bad_rdata(line, rtype, "AAAA data must be 16 octets"))?;
            Rdata::Aaaa(Ipv6Addr::from(octets))
        }
        RecordType::Txt | RecordType::Spf => {
            let strings = character_strings(bytes)
                .ok_or_else(|| bad_rdata(line, rtype, "bad character-string lengths"))?;
            if known == RecordType::Txt {
                Rdata::Txt(strings)
            } else {
                Rdata::Spf(strings)
            }
        }
        _ => {
            return Err(bad_rdata(
                line,
                rtype,
                "generic \\# data is only read for A, AAAA, TXT and SPF",
            ));
        }
    };
    Ok(ZoneData::Rdata(rdata))
}

/// Split wire-format TXT data into its length-prefixed character-strings.
pub(crate) fn character_strings(mut bytes: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut strings = Vec::new();
    while let Some((&len, rest)) = bytes.split_first() {
        let len = usize::from(len);
        if rest.len() < len {
            return None;
        }
        strings.push(rest[..len].to_vec());
        bytes = &rest[len..];
    }
    if strings.is_empty() {
        None
    } else {
        Some(strings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<ZoneRecord>, ZoneFileError> {
        parse_zone(text.as_bytes(), Some("example.com"), Path::new("t.zone"))
    }

    #[test]
    fn escapes_are_decimal_and_strings_stay_apart() {
        let r = parse("@ TXT \"a\\065b\" ( \"two words\"\n  \"\\255\" )\n").unwrap();
        assert_eq!(
            r[0].data,
            ZoneData::Rdata(Rdata::Txt(vec![
                b"aAb".to_vec(),
                b"two words".to_vec(),
                vec![255]
            ]))
        );
        assert_eq!(r[0].owner, "example.com");
    }

    #[test]
    fn owners_ttl_class_and_generic_types() {
        let text = "$TTL 1h\nfoo_bar IN 300 A 192.0.2.1\n  AAAA 2001:db8::1\n\
                    x TYPE99 \\# 5 04 76 3d 73 70\nsrv SRV 0 0 25 mail\n";
        let r = parse(text).unwrap();
        assert_eq!(r[0].owner, "foo_bar.example.com");
        assert_eq!(r[0].ttl, 300);
        assert_eq!(r[1].owner, "foo_bar.example.com");
        assert_eq!(r[1].ttl, 3600);
        assert_eq!(
            r[2].data,
            ZoneData::Rdata(Rdata::Spf(vec![b"v=sp".to_vec()]))
        );
        assert_eq!(r[3].data, ZoneData::Other { type_code: 33 });
    }

    #[test]
    fn errors_carry_the_line() {
        let e = parse("a A 192.0.2.1\n\nb MX ten mail\n").unwrap_err();
        assert_eq!(e.line(), Some(3));
        let e = parse("a TXT \"open\nb A 192.0.2.1\n").unwrap_err();
        assert_eq!(e.line(), Some(1));
        let e = parse("a A 192.0.2.1\nb TXT ( \"x\"\n").unwrap_err();
        assert_eq!(e.line(), Some(2));
        let e = parse_zone(b"a A 192.0.2.1\n", None, Path::new("x")).unwrap_err();
        assert!(e.to_string().contains("no $ORIGIN"), "{e}");
    }

    #[test]
    fn junk_never_panics() {
        let alphabet = b"a.@$();\"\\ \n\t0123TXTAMX\x00\xff";
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for len in [0usize, 1, 2, 7, 64, 300, 4096] {
            for _ in 0..200 {
                let bytes: Vec<u8> = (0..len)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        alphabet[(seed % alphabet.len() as u64) as usize]
                    })
                    .collect();
                let _ = parse_zone(&bytes, Some("example.com"), Path::new("j"));
            }
        }
    }
}
