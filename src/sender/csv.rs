//! The CSV reader: a header row naming the columns, then one row per line.
//!
//! RFC 4180 fields (commas; double quotes around a field, `""` for a quote inside one), CRLF
//! or LF line ends, an optional UTF-8 byte order mark. A quoted field must end on its line.
//! Blank lines are skipped; every other line is a row and is either read in full or stops
//! the run with an error at its line and column.

use super::input::{
    Column, ErrorKind, FileCtx, Row, RowProblem, RowSink, StatsError, check_counts, count_problem,
    join_names, parse_count, parse_date, quoted,
};
use crate::csv::{Field, LineRead, raw, read_line, split_fields as split};
use std::borrow::Cow;
use std::io::BufRead;

pub(crate) fn read<R: BufRead>(
    mut reader: R,
    ctx: &FileCtx<'_>,
    sink: &mut dyn RowSink,
) -> Result<u64, StatsError> {
    let limit = ctx.options.max_record_bytes;
    let mut line = Vec::new();
    let mut line_no: u64 = 0;
    let mut fields = Vec::new();

    // The header: the first line that is not blank.
    let header = loop {
        match read_line(&mut reader, &mut line, limit).map_err(|e| ctx.read_error(e))? {
            LineRead::Eof => {
                return Err(ctx.error(
                    line_no + 1,
                    1,
                    ErrorKind::Empty,
                    "the file is empty: expected a CSV header row (date,domain,sent,delivered,\
                     hard_bounces,soft_bounces,complaints,unsubscribes) or a JSON array of rows",
                ));
            }
            LineRead::TooLong => return Err(too_long(ctx, line_no + 1, limit)),
            LineRead::Line { .. } => {
                line_no += 1;
                if line_no == 1 && line.starts_with(b"\xef\xbb\xbf") {
                    line.drain(..3);
                }
                if !line.trim_ascii().is_empty() {
                    break parse_header(&line, line_no, ctx, &mut fields)?;
                }
            }
        }
    };

    let mut rows = 0u64;
    loop {
        match read_line(&mut reader, &mut line, limit).map_err(|e| ctx.read_error(e))? {
            LineRead::Eof => break,
            LineRead::TooLong => return Err(too_long(ctx, line_no + 1, limit)),
            LineRead::Line { .. } => {
                line_no += 1;
                if line.trim_ascii().is_empty() {
                    continue;
                }
                read_row(&line, line_no, ctx, &header, &mut fields, sink)?;
                rows += 1;
            }
        }
    }
    if rows == 0 {
        return Err(ctx.error(
            line_no + 1,
            1,
            ErrorKind::NoRows,
            "no data rows after the header",
        ));
    }
    Ok(rows)
}

fn too_long(ctx: &FileCtx<'_>, line: u64, limit: usize) -> StatsError {
    ctx.error(
        line,
        limit as u64 + 1,
        ErrorKind::TooLong,
        format!("line {line} is longer than {limit} bytes: not a daily stats row"),
    )
}

/// Where each known column is in the header: `slots[Column::index()]`.
struct Header {
    slots: [Option<usize>; 10],
    width: usize,
}

fn parse_header(
    line: &[u8],
    line_no: u64,
    ctx: &FileCtx<'_>,
    fields: &mut Vec<Field>,
) -> Result<Header, StatsError> {
    split(line, fields).map_err(|(col, message)| {
        ctx.error(
            line_no,
            col as u64,
            ErrorKind::Quoting,
            format!("header: {message}"),
        )
    })?;
    if fields.len() == 1
        && let Some(at) = line.iter().position(|b| matches!(b, b';' | b'\t' | b'|'))
    {
        let name = match line[at] {
            b';' => "semicolons",
            b'\t' => "tabs",
            _ => "vertical bars",
        };
        return Err(ctx.error(
            line_no,
            at as u64 + 1,
            ErrorKind::Delimiter,
            format!("the header is separated by {name}, not commas: export the file as comma-separated CSV"),
        ));
    }
    let mut slots = [None; 10];
    for (i, field) in fields.iter().enumerate() {
        let name = String::from_utf8_lossy(&raw(line, field)).into_owned();
        if let Some(column) = Column::from_name(&name) {
            if slots[column.index()].is_some() {
                return Err(ctx.error(
                    line_no,
                    field.column as u64,
                    ErrorKind::DuplicateColumn,
                    format!("column {column} appears twice in the header"),
                ));
            }
            slots[column.index()] = Some(i);
        }
    }
    let missing: Vec<&str> = Column::ALL
        .into_iter()
        .filter(|c| c.is_required() && slots[c.index()].is_none())
        .map(Column::name)
        .collect();
    if !missing.is_empty() && slots.iter().all(Option::is_none) {
        // Not a stats export at all (any file may be named): say so without quoting its
        // first line, which may be anyone's data (`/proc/self/environ`).
        return Err(ctx.error(
            line_no,
            1,
            ErrorKind::MissingColumn,
            format!(
                "not a stats file: the first line names none of the columns {} (its content is not shown)",
                join_names(&missing)
            ),
        ));
    }
    if !missing.is_empty() {
        let found: Vec<String> = fields
            .iter()
            .map(|f| quoted(&raw(line, f)))
            .take(12)
            .collect();
        return Err(ctx.error(
            line_no,
            1,
            ErrorKind::MissingColumn,
            format!(
                "the header lacks the column{} {} (found {})",
                if missing.len() == 1 { "" } else { "s" },
                join_names(&missing),
                found.join(", ")
            ),
        ));
    }
    Ok(Header {
        slots,
        width: fields.len(),
    })
}

fn read_row(
    line: &[u8],
    line_no: u64,
    ctx: &FileCtx<'_>,
    header: &Header,
    fields: &mut Vec<Field>,
    sink: &mut dyn RowSink,
) -> Result<(), StatsError> {
    split(line, fields)
        .map_err(|(col, message)| ctx.error(line_no, col as u64, ErrorKind::Quoting, message))?;
    if fields.len() != header.width {
        let column = match fields.get(header.width) {
            Some(extra) => extra.column,
            None => line.len() + 1,
        };
        return Err(ctx.error(
            line_no,
            column as u64,
            ErrorKind::FieldCount,
            format!(
                "this row has {} fields but the header has {}",
                fields.len(),
                header.width
            ),
        ));
    }
    let field = |column: Column| header.slots[column.index()].map(|i| fields[i]);
    let at = |f: Field| f.column as u64;
    let fail = |f: Field, column: Column, kind: ErrorKind, message: String| {
        ctx.error(line_no, at(f), kind, format!("column {column}: {message}"))
    };

    let mut counts = [0u64; 6];
    let count_columns = [
        Column::Sent,
        Column::Delivered,
        Column::HardBounces,
        Column::SoftBounces,
        Column::Complaints,
        Column::Unsubscribes,
    ];
    for (slot, column) in counts.iter_mut().zip(count_columns) {
        let Some(f) = field(column) else { continue };
        let bytes = raw(line, &f);
        *slot = parse_count(&bytes).map_err(|problem| {
            let (kind, message) = count_problem(column, &bytes, problem);
            fail(f, column, kind, message)
        })?;
    }
    let counts = super::input::Counts {
        sent: counts[0],
        delivered: counts[1],
        hard_bounces: counts[2],
        soft_bounces: counts[3],
        complaints: counts[4],
        unsubscribes: counts[5],
    };
    let Some(date_field) = field(Column::Date) else {
        return Ok(());
    };
    let date = parse_date(&raw(line, &date_field))
        .map_err(|(kind, message)| fail(date_field, Column::Date, kind, message))?;
    if sink.checks_counts()
        && let Err((column, kind, message)) = check_counts(&counts)
    {
        let f = field(column).unwrap_or(date_field);
        return Err(fail(f, column, kind, message));
    }

    let text = |column: Column| -> Result<Option<(Cow<'_, str>, Field)>, StatsError> {
        let Some(f) = field(column) else {
            return Ok(None);
        };
        let bytes = match raw(line, &f) {
            Cow::Borrowed(b) => b.trim_ascii(),
            Cow::Owned(b) => {
                let s = String::from_utf8(b.trim_ascii().to_vec()).map_err(|_| {
                    fail(f, column, ErrorKind::Encoding, "is not UTF-8".to_string())
                })?;
                return Ok((!s.is_empty()).then_some((Cow::Owned(s), f)));
            }
        };
        let s = std::str::from_utf8(bytes).map_err(|_| {
            fail(
                f,
                column,
                ErrorKind::Encoding,
                format!("{} is not UTF-8", quoted(bytes)),
            )
        })?;
        Ok((!s.is_empty()).then_some((Cow::Borrowed(s), f)))
    };
    let Some((domain, domain_field)) = text(Column::Domain)? else {
        let f = field(Column::Domain).unwrap_or(date_field);
        return Err(fail(
            f,
            Column::Domain,
            ErrorKind::Missing,
            "domain is empty".to_string(),
        ));
    };
    let ip = text(Column::Ip)?;
    let provider = text(Column::Provider)?;
    let row = Row {
        date,
        domain: &domain,
        ip: ip.as_ref().map(|(s, _)| s.as_ref()),
        provider: provider.as_ref().map(|(s, _)| s.as_ref()),
        counts,
        pos: ctx.pos(line_no, 1),
    };
    sink.push(&row).map_err(|problem| match problem {
        RowProblem::Field {
            column,
            kind,
            message,
        } => {
            let f = match column {
                Column::Ip => ip.as_ref().map(|(_, f)| *f),
                Column::Provider => provider.as_ref().map(|(_, f)| *f),
                Column::Domain => Some(domain_field),
                other => field(other),
            }
            .unwrap_or(date_field);
            fail(f, column, kind, message)
        }
        RowProblem::Row { kind, message } => ctx.error(line_no, 1, kind, message),
    })
}
