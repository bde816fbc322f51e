//! What a report arrives in: bare XML or JSON, gzip, zip, or attached to a message. Each
//! container is opened with a cap on what it may expand to, so a zip or gzip bomb is an error
//! on that file, never a full memory.

use mail_parser::MimeHeaders;
use std::io::Read;

/// The most one report may expand to (uncompressed). Google's largest daily reports are a few
/// tens of MB; anything past this is refused, not truncated.
pub const MAX_EXPANDED: u64 = 256 << 20;

/// Attachments, zip members and nested containers read from one file, at most.
const MAX_PARTS: usize = 64;

/// Containers inside containers (a zip in a message in a gzip...), at most.
const MAX_NESTING: usize = 4;

/// One report payload found in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payload {
    /// Where in the file: "" for the file itself, else the attachment or member name
    /// ("google.com!example.com!1.zip > google.com!example.com!1.xml").
    pub part: String,
    pub bytes: Vec<u8>,
}

/// Why a file's reports could not be taken out of it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ContainerError {
    #[error(
        "{part}expands past {limit} bytes: refused (a compression bomb, or a report too large)"
    )]
    TooLarge { part: String, limit: u64 },
    #[error("{part}is not a valid {format} archive: {why}")]
    Broken {
        part: String,
        format: &'static str,
        why: String,
    },
    #[error("more than {MAX_PARTS} attachments or archive members: refused")]
    TooManyParts,
    #[error("{part}is nested more than {MAX_NESTING} containers deep: refused")]
    TooDeep { part: String },
    #[error("a message with no report attached (no XML, gzip, zip or JSON part)")]
    NoReport,
}

/// The report payloads in `bytes` (one file's content): XML or JSON as they are, gzip and zip
/// expanded, and a message's attachments taken out, recursively.
pub fn payloads(bytes: &[u8]) -> Result<Vec<Payload>, ContainerError> {
    payloads_within(bytes, MAX_EXPANDED)
}

/// [`payloads`] with another cap on what each part may expand to.
pub fn payloads_within(bytes: &[u8], limit: u64) -> Result<Vec<Payload>, ContainerError> {
    let mut opener = Opener {
        limit,
        out: Vec::new(),
    };
    opener.open(bytes, String::new(), 0)?;
    Ok(opener.out)
}

/// What one file's opening has found so far, and the cap on each part.
struct Opener {
    limit: u64,
    out: Vec<Payload>,
}

fn prefix(part: &str) -> String {
    if part.is_empty() {
        String::new()
    } else {
        format!("{part}: ")
    }
}

fn join(part: &str, name: &str) -> String {
    if part.is_empty() {
        name.to_string()
    } else {
        format!("{part} > {name}")
    }
}

impl Opener {
    fn open(&mut self, bytes: &[u8], part: String, depth: usize) -> Result<(), ContainerError> {
        let limit = self.limit;
        if depth > MAX_NESTING {
            return Err(ContainerError::TooDeep {
                part: prefix(&part),
            });
        }
        if self.out.len() >= MAX_PARTS {
            return Err(ContainerError::TooManyParts);
        }
        if bytes.starts_with(&[0x1f, 0x8b]) {
            let expanded = gunzip(bytes, &part, limit)?;
            return self.open(&expanded, part, depth + 1);
        }
        if bytes.starts_with(b"PK\x03\x04") {
            return self.unzip(bytes, &part, depth);
        }
        let start = skip_blanks(bytes);
        if start.starts_with(b"<") || start.starts_with(b"{") || start.is_empty() {
            self.out.push(Payload {
                part,
                bytes: bytes.to_vec(),
            });
            return Ok(());
        }
        let found_before = self.out.len();
        self.attachments(bytes, &part, depth)?;
        if self.out.len() == found_before {
            return Err(ContainerError::NoReport);
        }
        Ok(())
    }
}

/// Skip a UTF-8 byte-order mark and blanks.
fn skip_blanks(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let n = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &bytes[n..]
}

fn gunzip(bytes: &[u8], part: &str, limit: u64) -> Result<Vec<u8>, ContainerError> {
    // Member after member (some reporters concatenate them); bytes after the last member
    // that do not start another one (Mimecast adds two) are ignored, as gzip(1) does.
    let mut out = Vec::new();
    let mut rest = bytes;
    while rest.starts_with(&[0x1f, 0x8b]) {
        let mut decoder = flate2::bufread::GzDecoder::new(rest);
        let left = limit.saturating_sub(out.len() as u64);
        let member = read_capped(&mut decoder, part, "gzip", left)?;
        out.extend_from_slice(&member);
        rest = decoder.into_inner();
    }
    Ok(out)
}

fn read_capped(
    reader: impl Read,
    part: &str,
    format: &'static str,
    limit: u64,
) -> Result<Vec<u8>, ContainerError> {
    let mut out = Vec::new();
    let read =
        reader
            .take(limit + 1)
            .read_to_end(&mut out)
            .map_err(|e| ContainerError::Broken {
                part: prefix(part),
                format,
                why: e.to_string(),
            })?;
    if read as u64 > limit {
        return Err(ContainerError::TooLarge {
            part: prefix(part),
            limit,
        });
    }
    Ok(out)
}

impl Opener {
    fn unzip(&mut self, bytes: &[u8], part: &str, depth: usize) -> Result<(), ContainerError> {
        let limit = self.limit;
        let broken = |e: zip::result::ZipError| ContainerError::Broken {
            part: prefix(part),
            format: "zip",
            why: e.to_string(),
        };
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(broken)?;
        if archive.len() > MAX_PARTS {
            return Err(ContainerError::TooManyParts);
        }
        for i in 0..archive.len() {
            let member = archive.by_index(i).map_err(broken)?;
            if member.is_dir() {
                continue;
            }
            let name = join(part, member.name());
            // The declared size is checked by `take` as the member is read, not trusted.
            let expanded = read_capped(member, &name, "zip", limit)?;
            self.open(&expanded, name, depth + 1)?;
        }
        Ok(())
    }

    /// The attachments of a message that can hold a report.
    fn attachments(
        &mut self,
        bytes: &[u8],
        part: &str,
        depth: usize,
    ) -> Result<(), ContainerError> {
        // No message (or one mail-parser fails on): nothing attached; the caller then reads
        // the bytes as a failure report, which says why they are not one.
        let Ok(Some(message)) = crate::mime::parse(&mail_parser::MessageParser::default(), bytes)
        else {
            return Ok(());
        };
        for attachment in message.attachments() {
            let name = attachment
                .attachment_name()
                .map(str::to_string)
                .unwrap_or_else(|| "attachment".to_string());
            let content = attachment.contents();
            let kind = attachment
                .content_type()
                .map(|ct| {
                    format!(
                        "{}/{}",
                        ct.ctype().to_ascii_lowercase(),
                        ct.subtype().unwrap_or("").to_ascii_lowercase()
                    )
                })
                .unwrap_or_default();
            let lower = name.to_ascii_lowercase();
            let looks_like_report = [".xml", ".gz", ".zip", ".json"]
                .iter()
                .any(|ext| lower.ends_with(ext))
                || kind.contains("zip")
                || kind.contains("gzip")
                || kind.ends_with("/xml")
                || kind.contains("tlsrpt");
            if looks_like_report {
                self.open(content, join(part, &name), depth + 1)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_gzip_bomb_is_refused_not_expanded() {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(&vec![b' '; 4 << 20]).unwrap();
        let bomb = encoder.finish().unwrap();
        assert!(bomb.len() < 64 << 10, "{} bytes", bomb.len());
        let e = payloads_within(&bomb, 1 << 20).unwrap_err();
        assert!(matches!(e, ContainerError::TooLarge { .. }), "{e}");
        // Within the cap it opens.
        assert_eq!(
            payloads_within(&bomb, 8 << 20).unwrap()[0].bytes.len(),
            4 << 20
        );

        // The same in a zip member: the declared size is not trusted.
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("r.xml", options).unwrap();
        zip.write_all(&vec![b' '; 4 << 20]).unwrap();
        let archive = zip.finish().unwrap().into_inner();
        let e = payloads_within(&archive, 1 << 20).unwrap_err();
        assert!(e.to_string().contains("r.xml: expands past"), "{e}");
    }

    #[test]
    fn containers_nested_too_deep_are_refused() {
        let gzip = |bytes: &[u8]| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(bytes).unwrap();
            e.finish().unwrap()
        };
        let mut nested = b"<feedback/>".to_vec();
        for _ in 0..MAX_NESTING {
            nested = gzip(&nested);
        }
        assert_eq!(payloads(&nested).unwrap()[0].bytes, b"<feedback/>");
        let e = payloads(&gzip(&nested)).unwrap_err();
        assert!(matches!(e, ContainerError::TooDeep { .. }), "{e}");
    }

    #[test]
    fn bare_xml_is_its_own_payload_and_junk_says_so() {
        let p = payloads(b"\xef\xbb\xbf  <feedback/>").unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].part, "");
        let e = payloads(b"Subject: hello\r\n\r\njust text\r\n").unwrap_err();
        assert_eq!(e, ContainerError::NoReport);
        let e = payloads(b"\x1f\x8bnot gzip at all").unwrap_err();
        assert!(matches!(e, ContainerError::Broken { .. }), "{e}");
    }
}
