//! The JSON reader: one array of row objects, with the CSV's column names as keys (any
//! ASCII case). Counts are JSON numbers, dates strings, `ip` and `provider` strings or null;
//! other keys are ignored.
//!
//! The array is streamed element by element (serde_json over a reader), so a file of a
//! million rows is never in memory. A reader in front of serde_json counts lines and columns,
//! which is how errors found after parsing a field still name its line and column (the
//! column of its key), and caps the bytes of each row.

use super::input::{
    Column, Counts, ErrorKind, FileCtx, Row, RowProblem, RowSink, StatsError, check_counts,
    parse_date, quoted,
};
use crate::text::escape_untrusted;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::cell::RefCell;
use std::fmt;
use std::io::{self, BufRead, Read};
use std::rc::Rc;

/// Position of the last byte serde_json took, and the bytes taken since the current row
/// began.
#[derive(Debug)]
struct Tracker {
    line: u64,
    column: u64,
    since_mark: u64,
    limit: u64,
    too_long: bool,
}

impl Tracker {
    fn at(&self) -> (u64, u64) {
        (self.line, self.column)
    }
}

struct Counting<R> {
    inner: R,
    tracker: Rc<RefCell<Tracker>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut t = self.tracker.borrow_mut();
        for &b in &buf[..n] {
            if b == b'\n' {
                t.line += 1;
                t.column = 0;
            } else {
                t.column += 1;
            }
        }
        t.since_mark += n as u64;
        if t.since_mark > t.limit {
            t.too_long = true;
            return Err(io::Error::other("row too long"));
        }
        Ok(n)
    }
}

/// What the visitors share: the file, the sink, the position tracker and the first error
/// found by our own checks (serde only carries a message).
struct Shared<'a, 'b> {
    ctx: &'a FileCtx<'a>,
    sink: &'b mut dyn RowSink,
    tracker: Rc<RefCell<Tracker>>,
    problem: Option<StatsError>,
}

impl Shared<'_, '_> {
    fn at(&self) -> (u64, u64) {
        self.tracker.borrow().at()
    }

    /// Keep `error` and abort the parse.
    fn fail<E: de::Error>(&mut self, error: StatsError) -> E {
        let message = error.to_string();
        self.problem.get_or_insert(error);
        E::custom(message)
    }
}

pub(crate) fn read<R: BufRead>(
    reader: R,
    ctx: &FileCtx<'_>,
    sink: &mut dyn RowSink,
) -> Result<u64, StatsError> {
    let tracker = Rc::new(RefCell::new(Tracker {
        line: 1,
        column: 0,
        since_mark: 0,
        limit: ctx.options.max_record_bytes as u64,
        too_long: false,
    }));
    let counting = Counting {
        inner: reader,
        tracker: Rc::clone(&tracker),
    };
    let mut shared = Shared {
        ctx,
        sink,
        tracker: Rc::clone(&tracker),
        problem: None,
    };
    let mut de = serde_json::Deserializer::from_reader(counting);
    let outcome = RowsSeed {
        shared: &mut shared,
    }
    .deserialize(&mut de)
    .and_then(|rows| de.end().map(|()| rows));
    match outcome {
        Ok(0) => {
            let (line, column) = tracker.borrow().at();
            Err(ctx.error(
                line,
                column,
                ErrorKind::NoRows,
                "the JSON array holds no rows",
            ))
        }
        Ok(rows) => Ok(rows),
        Err(e) => {
            if let Some(problem) = shared.problem.take() {
                return Err(problem);
            }
            let t = tracker.borrow();
            if t.too_long {
                return Err(ctx.error(
                    t.line,
                    t.column,
                    ErrorKind::TooLong,
                    format!(
                        "a JSON row is longer than {} bytes: not a daily stats row",
                        t.limit
                    ),
                ));
            }
            if e.is_io() {
                return Err(ctx.read_error(io::Error::other(e.to_string())));
            }
            let text = e.to_string();
            let message = text
                .rsplit_once(" at line ")
                .map_or(text.as_str(), |(m, _)| m);
            let kind = if e.is_data() {
                ErrorKind::Shape
            } else {
                ErrorKind::Syntax
            };
            Err(ctx.error(
                e.line() as u64,
                e.column() as u64,
                kind,
                format!("invalid JSON: {}", escape_untrusted(message)),
            ))
        }
    }
}

struct RowsSeed<'s, 'a, 'b> {
    shared: &'s mut Shared<'a, 'b>,
}

impl<'de> DeserializeSeed<'de> for RowsSeed<'_, '_, '_> {
    type Value = u64;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<u64, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RowsSeed<'_, '_, '_> {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of row objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<u64, A::Error> {
        let mut rows = 0;
        loop {
            self.shared.tracker.borrow_mut().since_mark = 0;
            let seed = RowSeed {
                shared: &mut *self.shared,
            };
            match seq.next_element_seed(seed)? {
                Some(()) => rows += 1,
                None => return Ok(rows),
            }
        }
    }
}

struct RowSeed<'s, 'a, 'b> {
    shared: &'s mut Shared<'a, 'b>,
}

impl<'de> DeserializeSeed<'de> for RowSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

/// A field's value as found, before our checks.
enum Value {
    Text(String),
    Count(u64),
    Null,
    /// Not a whole number (a fraction, or negative), with its text.
    BadNumber(ErrorKind, String),
    /// Another JSON type: "a string \"12\"", "a boolean", "an array", ...
    Wrong(String),
}

impl<'de> Visitor<'de> for RowSeed<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a row object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let shared = self.shared;
        let ctx = shared.ctx;
        // serde_json has just taken the `{`.
        let row_at = shared.at();
        let mut values: [Option<Value>; 10] = Default::default();
        // Where each key is; the row's `{` for keys that are absent.
        let mut at = [row_at; 10];
        while let Some(key) = map.next_key_seed(KeySeed)? {
            // The key's closing quote was the last byte taken.
            let (line, end) = shared.at();
            let column = end.saturating_sub(key.len as u64 + 1);
            let Some(which) = key.column else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            if values[which.index()].is_some() {
                let error = ctx.error(
                    line,
                    column,
                    ErrorKind::DuplicateColumn,
                    format!("key {which} appears twice in this row"),
                );
                return Err(shared.fail(error));
            }
            values[which.index()] = Some(map.next_value_seed(ValueSeed)?);
            at[which.index()] = (line, column);
        }
        let fail = |which: Column, kind: ErrorKind, message: String| {
            let (line, column) = at[which.index()];
            ctx.error(line, column, kind, format!("key {which}: {message}"))
        };

        let mut counts = Counts::default();
        let mut date_text = None;
        let mut domain = None;
        let mut ip = None;
        let mut provider = None;
        for which in Column::ALL {
            let value = values[which.index()].take();
            let outcome = match (which, value) {
                (_, None) if which.is_required() => {
                    let (line, column) = row_at;
                    Err(ctx.error(
                        line,
                        column,
                        ErrorKind::Missing,
                        format!("this row has no key {which}"),
                    ))
                }
                (_, None) => Ok(()),
                (Column::Date, Some(Value::Text(s))) => {
                    date_text = Some(s);
                    Ok(())
                }
                (Column::Domain, Some(Value::Text(s))) => {
                    domain = Some(s);
                    Ok(())
                }
                (Column::Ip, Some(Value::Text(s))) => {
                    ip = Some(s);
                    Ok(())
                }
                (Column::Provider, Some(Value::Text(s))) => {
                    provider = Some(s);
                    Ok(())
                }
                (Column::Ip | Column::Provider, Some(Value::Null)) => Ok(()),
                (_, Some(Value::Null)) => {
                    Err(fail(which, ErrorKind::Missing, format!("{which} is null")))
                }
                (Column::Date | Column::Domain | Column::Ip | Column::Provider, Some(found)) => {
                    Err(fail(
                        which,
                        ErrorKind::Shape,
                        format!("{which} must be a JSON string, found {}", describe(&found)),
                    ))
                }
                (_, Some(Value::Count(n))) => {
                    *count_slot(&mut counts, which) = n;
                    Ok(())
                }
                (_, Some(Value::BadNumber(kind, shown))) => Err(fail(
                    which,
                    kind,
                    match kind {
                        ErrorKind::Negative => {
                            format!("{which} is negative ({shown}): counts are 0 or more")
                        }
                        ErrorKind::TooLarge => format!("{which} is too large: {shown}"),
                        _ => format!("{which} is not a whole number: {shown}"),
                    },
                )),
                (_, Some(found)) => Err(fail(
                    which,
                    if matches!(found, Value::Text(_)) {
                        ErrorKind::NotANumber
                    } else {
                        ErrorKind::Shape
                    },
                    format!("{which} must be a JSON number, found {}", describe(&found)),
                )),
            };
            if let Err(error) = outcome {
                return Err(shared.fail(error));
            }
        }
        let date_text = date_text.unwrap_or_default();
        let date = match parse_date(date_text.as_bytes()) {
            Ok(date) => date,
            Err((kind, message)) => return Err(shared.fail(fail(Column::Date, kind, message))),
        };
        if shared.sink.checks_counts()
            && let Err((which, kind, message)) = check_counts(&counts)
        {
            return Err(shared.fail(fail(which, kind, message)));
        }
        let domain = domain.unwrap_or_default();
        let domain = domain.trim();
        if domain.is_empty() {
            return Err(shared.fail(fail(
                Column::Domain,
                ErrorKind::Missing,
                "domain is empty".to_string(),
            )));
        }
        let nonempty = |s: &Option<String>| -> Option<String> {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let (ip, provider) = (nonempty(&ip), nonempty(&provider));
        let row = Row {
            date,
            domain,
            ip: ip.as_deref(),
            provider: provider.as_deref(),
            counts,
            pos: ctx.pos(row_at.0, row_at.1),
        };
        match shared.sink.push(&row) {
            Ok(()) => Ok(()),
            Err(RowProblem::Field {
                column,
                kind,
                message,
            }) => {
                let error = fail(column, kind, message);
                Err(shared.fail(error))
            }
            Err(RowProblem::Row { kind, message }) => {
                let error = ctx.error(row_at.0, row_at.1, kind, message);
                Err(shared.fail(error))
            }
        }
    }
}

fn count_slot(counts: &mut Counts, which: Column) -> &mut u64 {
    match which {
        Column::Delivered => &mut counts.delivered,
        Column::HardBounces => &mut counts.hard_bounces,
        Column::SoftBounces => &mut counts.soft_bounces,
        Column::Complaints => &mut counts.complaints,
        Column::Unsubscribes => &mut counts.unsubscribes,
        _ => &mut counts.sent,
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Text(s) => format!("a string {}", quoted(s.as_bytes())),
        Value::Count(n) => format!("the number {n}"),
        Value::Null => "null".to_string(),
        Value::BadNumber(_, shown) => format!("the number {shown}"),
        Value::Wrong(what) => what.clone(),
    }
}

/// A key: which column it names (None: a key we ignore) and its length in bytes.
struct Key {
    column: Option<Column>,
    len: usize,
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
        Ok(Key {
            column: Column::from_name(key),
            len: key.len(),
        })
    }
}

struct ValueSeed;

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// Integers a JSON float can hold exactly.
const EXACT_FLOAT_MAX: f64 = 9_007_199_254_740_992.0;

impl<'de> Visitor<'de> for ValueSeed {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Value, E> {
        Ok(Value::Wrong("a boolean".to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Count(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(match u64::try_from(v) {
            Ok(v) => Value::Count(v),
            Err(_) => Value::BadNumber(ErrorKind::Negative, v.to_string()),
        })
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        let shown = v.to_string();
        Ok(if v < 0.0 {
            Value::BadNumber(ErrorKind::Negative, shown)
        } else if v.fract() != 0.0 || !v.is_finite() {
            Value::BadNumber(ErrorKind::NotANumber, shown)
        } else if v > EXACT_FLOAT_MAX {
            Value::BadNumber(ErrorKind::TooLarge, shown)
        } else {
            // A whole number written with a fraction or exponent (12.0, 1e3).
            Value::Count(v as u64)
        })
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Text(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::Text(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Value::Wrong("an array".to_string()))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Value::Wrong("an object".to_string()))
    }
}
