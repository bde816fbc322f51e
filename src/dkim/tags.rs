//! The DKIM tag-list (RFC 6376 §3.2), parsed with the byte span of every tag.
//!
//! ```text
//! tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]
//! tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
//! tag-name  =  ALPHA *ALNUMPUNC
//! tag-value =  [ tval *( 1*(WSP / FWS) tval ) ]
//! tval      =  1*VALCHAR
//! VALCHAR   =  %x21-3A / %x3C-7E        ; "!" to "~" except ";"
//! FWS       =  [*WSP CRLF] 1*WSP        ; RFC 6376 §2.8
//! ```
//!
//! Two readings beyond the ABNF, shared by the verifiers in use: whitespace after the final
//! `;` is accepted (`p=...; `), and tag names are case-sensitive (`P=` is not `p=`).

use std::collections::HashMap;

pub use crate::text::Span;

/// One `name=value` pair of a tag-list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tag<'a> {
    pub name: &'a str,
    /// The value without the whitespace around it; whitespace inside it is kept (§3.2).
    pub value: &'a str,
    pub name_span: Span,
    pub value_span: Span,
}

impl Tag<'_> {
    /// From the first byte of the name to the last byte of the value.
    pub fn span(&self) -> Span {
        Span::new(
            self.name_span.start,
            self.value_span.end.max(self.name_span.end),
        )
    }
}

/// Why a tag-list does not parse. Every variant knows where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TagListError {
    #[error("the record is empty: a tag list needs at least one tag")]
    Empty,
    #[error("expected a tag name (a letter, then letters, digits or \"_\") at byte {}", .span.start)]
    ExpectedTagName { span: Span },
    #[error("tag \"{name}\" has no \"=\" and no value")]
    MissingEquals { name: String, span: Span },
    #[error(
        "the value of tag \"{name}\" contains byte 0x{byte:02x}, which is not allowed in a tag value"
    )]
    BadValueByte { name: String, byte: u8, span: Span },
    #[error("tag \"{name}\" appears more than once, which makes the whole tag list invalid")]
    Duplicate {
        name: String,
        first: Span,
        span: Span,
    },
}

impl TagListError {
    /// Where in the record the problem is.
    pub fn span(&self) -> Span {
        match self {
            TagListError::Empty => Span::new(0, 0),
            TagListError::ExpectedTagName { span }
            | TagListError::MissingEquals { span, .. }
            | TagListError::BadValueByte { span, .. }
            | TagListError::Duplicate { span, .. } => *span,
        }
    }
}

fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn is_valchar(b: u8) -> bool {
    matches!(b, 0x21..=0x3a | 0x3c..=0x7e)
}

/// Skip folding white space: WSP, and CRLF when followed by WSP. Returns the new position.
fn skip_fws(input: &[u8], mut i: usize) -> usize {
    loop {
        match input.get(i) {
            Some(&b) if is_wsp(b) => i += 1,
            Some(b'\r')
                if input.get(i + 1) == Some(&b'\n')
                    && input.get(i + 2).is_some_and(|&b| is_wsp(b)) =>
            {
                i += 3
            }
            _ => return i,
        }
    }
}

/// Whether `input[i..]` starts with folding white space.
fn at_fws(input: &[u8], i: usize) -> bool {
    skip_fws(input, i) > i
}

/// The text of `input[span]`, which the grammar has already limited to ASCII.
fn ascii(input: &[u8], span: Span) -> &str {
    input
        .get(span.start..span.end)
        .and_then(|bytes| std::str::from_utf8(bytes).ok())
        .unwrap_or("")
}

/// Parse a tag-list. Never panics, whatever the bytes.
pub fn parse_tag_list(input: &[u8]) -> Result<Vec<Tag<'_>>, TagListError> {
    let mut tags: Vec<Tag<'_>> = Vec::new();
    let mut seen: HashMap<&str, Span> = HashMap::new();
    let mut i = skip_fws(input, 0);
    if i >= input.len() {
        return Err(TagListError::Empty);
    }
    loop {
        // tag-name
        let name_start = i;
        match input.get(i) {
            Some(b) if b.is_ascii_alphabetic() => i += 1,
            _ => {
                return Err(TagListError::ExpectedTagName {
                    span: Span::new(i, (i + 1).min(input.len())),
                });
            }
        }
        while input
            .get(i)
            .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_')
        {
            i += 1;
        }
        let name_span = Span::new(name_start, i);
        let name = ascii(input, name_span);
        i = skip_fws(input, i);
        match input.get(i) {
            Some(b'=') => i += 1,
            Some(b';') | None => {
                return Err(TagListError::MissingEquals {
                    name: name.to_string(),
                    span: name_span,
                });
            }
            Some(_) => {
                // Something other than "=" after a name: either the name has a bad character
                // ("a-b=") or the tag has no "=" ("t y").
                return Err(TagListError::ExpectedTagName {
                    span: Span::new(name_start, i + 1),
                });
            }
        }
        i = skip_fws(input, i);
        // tag-value: tvals separated by FWS; stops at ";" or the end.
        let value_start = i;
        let mut value_end = i;
        loop {
            match input.get(i) {
                None | Some(b';') => break,
                Some(&b) if is_valchar(b) => {
                    i += 1;
                    value_end = i;
                }
                Some(_) if at_fws(input, i) => i = skip_fws(input, i),
                Some(&b) => {
                    return Err(TagListError::BadValueByte {
                        name: name.to_string(),
                        byte: b,
                        span: Span::new(i, i + 1),
                    });
                }
            }
        }
        let value_span = Span::new(value_start, value_end);
        let tag = Tag {
            name,
            value: ascii(input, value_span),
            name_span,
            value_span,
        };
        if let Some(first) = seen.get(name) {
            return Err(TagListError::Duplicate {
                name: name.to_string(),
                first: *first,
                span: tag.span(),
            });
        }
        seen.insert(name, tag.span());
        tags.push(tag);
        if i >= input.len() {
            return Ok(tags);
        }
        // input[i] == b';'
        i = skip_fws(input, i + 1);
        if i >= input.len() {
            return Ok(tags);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_values(input: &str) -> Vec<(String, String)> {
        parse_tag_list(input.as_bytes())
            .unwrap()
            .iter()
            .map(|t| (t.name.to_string(), t.value.to_string()))
            .collect()
    }

    #[test]
    fn whitespace_around_names_equals_and_values() {
        assert_eq!(
            names_values(" v=DKIM1; x1 = extra ; t = y:n ; n=A 1024 bit key;"),
            [
                ("v".into(), "DKIM1".into()),
                ("x1".into(), "extra".into()),
                ("t".into(), "y:n".into()),
                ("n".into(), "A 1024 bit key".into()),
            ]
        );
    }

    #[test]
    fn folded_whitespace_inside_a_value_is_kept() {
        let tags = parse_tag_list(b"p=MIGf\r\n\tMA0G ; k=rsa").unwrap();
        assert_eq!(tags[0].value, "MIGf\r\n\tMA0G");
        assert_eq!(tags[0].value_span, Span::new(2, 13));
        assert_eq!(tags[1].name_span, Span::new(16, 17));
    }

    #[test]
    fn spans_point_into_the_input() {
        let input = "v=DKIM1;  k = rsa ;p=";
        let tags = parse_tag_list(input.as_bytes()).unwrap();
        for tag in &tags {
            assert_eq!(&input[tag.name_span.start..tag.name_span.end], tag.name);
            assert_eq!(&input[tag.value_span.start..tag.value_span.end], tag.value);
        }
        assert_eq!(tags[2].value, "");
        assert_eq!(tags[1].span(), Span::new(10, 17));
    }

    #[test]
    fn trailing_semicolon_and_whitespace_are_accepted() {
        assert_eq!(names_values("a=1;").len(), 1);
        assert_eq!(names_values("a=1; \t").len(), 1);
    }

    #[test]
    fn errors_name_their_position() {
        assert_eq!(parse_tag_list(b""), Err(TagListError::Empty));
        assert_eq!(parse_tag_list(b" \t "), Err(TagListError::Empty));
        assert!(matches!(
            parse_tag_list(b"k=rsa; t; p=x"),
            Err(TagListError::MissingEquals { ref name, span }) if name == "t" && span == Span::new(7, 8)
        ));
        assert!(matches!(
            parse_tag_list(b"a=1;;b=2"),
            Err(TagListError::ExpectedTagName { span }) if span.start == 4
        ));
        assert!(matches!(
            parse_tag_list(b"1a=2"),
            Err(TagListError::ExpectedTagName { span }) if span.start == 0
        ));
        assert!(matches!(
            parse_tag_list(b"a-b=2"),
            Err(TagListError::ExpectedTagName { .. })
        ));
        assert!(matches!(
            parse_tag_list("n=caf\u{e9}".as_bytes()),
            Err(TagListError::BadValueByte { byte: 0xc3, span, .. }) if span.start == 5
        ));
        assert!(matches!(
            parse_tag_list(b"n=a\nb"),
            Err(TagListError::BadValueByte { byte: b'\n', .. })
        ));
        // CRLF not followed by WSP is not folding white space.
        assert!(parse_tag_list(b"n=a\r\nb").is_err());
    }

    #[test]
    fn duplicate_tags_invalidate_the_list() {
        let err = parse_tag_list(b"p=abc; k=rsa; p=def").unwrap_err();
        assert_eq!(
            err,
            TagListError::Duplicate {
                name: "p".into(),
                first: Span::new(0, 5),
                span: Span::new(14, 19),
            }
        );
        // Tag names are case-sensitive: p and P are two tags.
        assert_eq!(names_values("p=a; P=b").len(), 2);
    }

    #[test]
    fn values_may_contain_equals_and_colons() {
        assert_eq!(
            names_values("v=DKIM1: g=*; n=a=b"),
            [
                ("v".into(), "DKIM1: g=*".into()),
                ("n".into(), "a=b".into())
            ]
        );
    }
}
