//! Zone files into the offline resolver: fixtures, every record kind we keep, and errors that
//! name the file and line whatever the input.

use mailaudit::dns::{
    Answer, Rdata, RecordType, Resolver, ZoneData, ZoneFileError, ZoneSet, ZoneSyntaxError,
    read_zone_file,
};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/zones/dns")
        .join(name)
}

fn resolver(files: &[&str]) -> Resolver {
    let paths: Vec<PathBuf> = files.iter().map(|f| fixture(f)).collect();
    Resolver::offline(ZoneSet::load_files(&paths).expect("fixture zones load"))
}

fn txt(strings: &[&[u8]]) -> Rdata {
    Rdata::Txt(strings.iter().map(|s| s.to_vec()).collect())
}

#[tokio::test]
async fn several_zones_load_into_one_set() {
    let r = resolver(&[
        "example.com.zone",
        "example.net.zone",
        "2.0.192.in-addr.arpa.zone",
        "absolute.zone",
        "extra-types.zone",
    ]);
    let a = |s: &str| Rdata::A(s.parse().unwrap());
    assert_eq!(
        r.lookup("example.com", RecordType::A).await.records(),
        [a("192.0.2.10")]
    );
    assert_eq!(
        r.lookup("mail.example.com", RecordType::Aaaa)
            .await
            .records(),
        [Rdata::Aaaa("2001:db8::25".parse().unwrap())]
    );
    assert_eq!(
        r.lookup("example.com", RecordType::Mx).await.records(),
        [
            Rdata::Mx {
                preference: 10,
                exchange: "mail.example.com".into()
            },
            Rdata::Mx {
                preference: 20,
                exchange: "mail2.example.net".into()
            }
        ]
    );
    assert_eq!(
        r.lookup("example.com", RecordType::Txt).await.records(),
        [txt(&[
            b"v=spf1 ip4:192.0.2.0/24 ",
            b"include:_spf.example.net -all"
        ])]
    );
    assert_eq!(
        r.lookup("sel1._domainkey.example.com", RecordType::Txt)
            .await
            .records(),
        [txt(&[
            b"v=DKIM1; k=rsa; ",
            b"p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC"
        ])]
    );
    assert_eq!(
        r.lookup("escaped.example.com", RecordType::Txt)
            .await
            .records(),
        [txt(&["semi;colon \"quoted\" café".as_bytes(), b"\xffraw"])]
    );
    assert_eq!(
        r.lookup("old.example.com", RecordType::Spf).await.records(),
        [Rdata::Spf(vec![b"v=spf1 -all".to_vec()])]
    );
    assert_eq!(
        r.lookup("25.2.0.192.in-addr.arpa", RecordType::Ptr)
            .await
            .records(),
        [Rdata::Ptr("mail.example.com".into())]
    );
    assert_eq!(
        r.lookup("example.com", RecordType::Ns).await.records(),
        [Rdata::Ns("ns1.example.com".into())]
    );
    assert_eq!(
        r.lookup("example.com", RecordType::Soa).await.records(),
        [Rdata::Other(RecordType::Soa)]
    );
    // CNAME across files, NXDOMAIN, no data, empty non-terminal, wildcard.
    assert_eq!(
        r.lookup("chain.example.com", RecordType::A).await.records(),
        [a("198.51.100.7")]
    );
    assert_eq!(
        r.lookup("nope.example.com", RecordType::A).await,
        Answer::NxDomain
    );
    assert_eq!(
        r.lookup("mail.example.com", RecordType::Mx).await,
        Answer::NoData
    );
    assert_eq!(
        r.lookup("b.ent.example.com", RecordType::Txt).await,
        Answer::NoData
    );
    assert_eq!(
        r.lookup("x.wild.example.com", RecordType::Txt)
            .await
            .records(),
        [txt(&[b"wildcard"])]
    );
    assert_eq!(
        r.lookup("x.wild.example.com", RecordType::A).await,
        Answer::NoData
    );
    // A file of absolute names without SOA; null MX.
    assert_eq!(
        r.lookup("www.example.org", RecordType::A).await.records(),
        [a("203.0.113.80")]
    );
    assert_eq!(
        r.lookup("example.org", RecordType::Mx).await.records(),
        [Rdata::Mx {
            preference: 0,
            exchange: String::new()
        }]
    );
    // Types we do not model make the name exist; RFC 3597 generic type 99 is SPF.
    assert_eq!(
        r.lookup("_submission._tcp.extra.example", RecordType::Txt)
            .await,
        Answer::NoData
    );
    assert_eq!(
        r.lookup("legacy.extra.example", RecordType::Spf)
            .await
            .records(),
        [Rdata::Spf(vec![b"v=spf1 -all".to_vec()])]
    );
    assert_eq!(
        r.lookup("blob.extra.example", RecordType::A).await,
        Answer::NoData
    );
}

#[test]
fn records_keep_ttls_and_soa_fields() {
    let records = read_zone_file(&fixture("example.com.zone")).unwrap();
    let soa = records
        .iter()
        .find_map(|r| match &r.data {
            ZoneData::Soa(soa) => Some((r, soa)),
            _ => None,
        })
        .unwrap();
    assert_eq!(soa.0.owner, "example.com");
    assert_eq!(soa.0.line, 4);
    assert_eq!(soa.1.mname, "ns1.example.com");
    assert_eq!(soa.1.rname, "hostmaster.example.com");
    assert_eq!(
        (soa.1.serial, soa.1.refresh, soa.1.retry, soa.1.expire),
        (2024010101, 3600, 600, 86400)
    );
    let dkim = records
        .iter()
        .find(|r| r.owner == "sel1._domainkey.example.com")
        .unwrap();
    assert_eq!(dkim.ttl, 3600);
    assert!(
        records
            .iter()
            .filter(|r| r.owner == "ns1.example.com")
            .all(|r| r.ttl == 300)
    );
}

#[test]
fn broken_file_names_file_and_line() {
    let path = fixture("broken.zone");
    let err = ZoneSet::load_files(&[fixture("example.com.zone"), path.clone()]).unwrap_err();
    assert_eq!(err.file(), path);
    assert_eq!(err.line(), Some(7));
    assert!(matches!(
        err,
        ZoneFileError::Syntax {
            kind: ZoneSyntaxError::BadRdata { .. },
            ..
        }
    ));
    let shown = err.to_string();
    assert!(shown.contains("broken.zone:7:"), "{shown}");
}

fn load_err(text: &[u8]) -> ZoneFileError {
    ZoneSet::load_bytes(text, Some("example.com"), "input.zone").unwrap_err()
}

#[test]
fn syntax_errors_point_at_their_line() {
    let cases: &[(&[u8], usize)] = &[
        (b"a A 192.0.2.1\nb A 192.0.2.300\n", 2),
        (
            b"a A 192.0.2.1\n\n\nb TXT \"never closed\nc A 192.0.2.1\n",
            4,
        ),
        (b"a TXT ( \"x\"\n  \"y\"\n", 1),
        (b"a A 192.0.2.1 )\n", 1),
        (b"a 300 IN FOO bar\n", 1),
        (b"a CH TXT \"x\"\n", 1),
        (b"a A 192.0.2.1\n$INCLUDE /etc/passwd\n", 2),
        (b"a A 192.0.2.1\n$GENERATE 1-2 x A 1.2.3.$\n", 2),
        (b"a A 192.0.2.1\n  SOA ns hm 1 2 3\n", 2),
        (b"a MX 70000 mail\n", 1),
        (b"a TXT \"\\1x\"\n", 1),
        (b"a TXT \"\\256\"\n", 1),
        (b"a..b A 192.0.2.1\n", 1),
        (b"  A 192.0.2.1\n", 1),
        (b"a TYPE1 \\# 3 c00002\n", 1),
        (b"x\n", 1),
    ];
    for (text, line) in cases {
        let err = load_err(text);
        assert_eq!(
            err.line(),
            Some(*line),
            "{:?}: {err}",
            String::from_utf8_lossy(text)
        );
        assert_eq!(err.file(), Path::new("input.zone"));
    }
    let long_string = format!("a TXT \"{}\"\n", "x".repeat(256));
    assert_eq!(load_err(long_string.as_bytes()).line(), Some(1));
    let long_name = format!("{}.example.com. A 192.0.2.1\n", "a".repeat(64));
    assert_eq!(load_err(long_name.as_bytes()).line(), Some(1));
}

#[test]
fn relative_names_need_an_origin() {
    let err = ZoneSet::load_str("www A 192.0.2.1\n", None, "plain.zone").unwrap_err();
    assert_eq!(err.line(), Some(1));
    assert!(matches!(
        err,
        ZoneFileError::Syntax {
            kind: ZoneSyntaxError::NoOrigin(_),
            ..
        }
    ));
    // The hint, then $ORIGIN, give it.
    let zones = ZoneSet::load_str(
        "www A 192.0.2.1\n$ORIGIN sub\n@ TXT x\n",
        Some("example.com."),
        "hinted.zone",
    )
    .unwrap();
    assert!(!zones.is_empty());
    assert!(matches!(
        ZoneSet::load_str("", Some("bad..origin"), "x.zone"),
        Err(ZoneFileError::BadOrigin { .. })
    ));
}

#[tokio::test]
async fn raw_bytes_in_txt_are_kept() {
    let zones = ZoneSet::load_bytes(
        b"@ TXT \"\xe9t\xe9\" plain\\032word\n",
        Some("example.com"),
        "latin1.zone",
    )
    .unwrap();
    let r = Resolver::offline(zones);
    assert_eq!(
        r.lookup("example.com", RecordType::Txt).await.records(),
        [txt(&[b"\xe9t\xe9", b"plain word"])]
    );
}

#[test]
fn junk_input_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for (i, len) in [1usize, 10, 1000, 100_000].into_iter().enumerate() {
        let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        let path = dir.path().join(format!("junk{i}.zone"));
        std::fs::write(&path, &bytes).unwrap();
        if let Err(err) = ZoneSet::load_files(std::slice::from_ref(&path)) {
            assert_eq!(err.file(), path);
        }
    }
    // A 2 MB line, bad UTF-8 in an address, NUL bytes, a lone backslash at the end.
    let huge = format!("{} A 192.0.2.1\n", "a".repeat(2_000_000));
    assert_eq!(load_err(huge.as_bytes()).line(), Some(1));
    assert_eq!(
        load_err(b"ok A 192.0.2.1\nx A 192.0.2.\xff\n").line(),
        Some(2)
    );
    // Labels are octets: non-UTF-8 owner names load, shown with \DDD escapes.
    let records = mailaudit::dns::parse_zone(
        b"\xff\xfe A 192.0.2.1\n",
        Some("example.com"),
        Path::new("o"),
    )
    .unwrap();
    assert_eq!(records[0].owner, "\\255\\254.example.com");
    assert_eq!(
        load_err(b"ok A 192.0.2.1\nx\0y A 192.0.2.1\n").line(),
        Some(2)
    );
    assert!(ZoneSet::load_bytes(b"a TXT x\\", Some("example.com"), "t").is_err());
    let missing = dir.path().join("missing.zone");
    let err = ZoneSet::load_files(std::slice::from_ref(&missing)).unwrap_err();
    assert!(matches!(err, ZoneFileError::Read { .. }));
    assert_eq!(err.file(), missing);
}

#[test]
fn a_zone_file_read_in_windows_parses_as_the_whole_text() {
    // Entries of every shape, repeated past several read windows (256 KiB), so window edges
    // fall inside quoted strings, escapes, parentheses and comments.
    let mut text = String::from("$ORIGIN example.com.\n$TTL 300\n@ SOA ns hostmaster 1 2 3 4 5\n");
    for n in 0..12_000 {
        text.push_str(&format!(
            "h{n} A 192.0.2.{}\n  TXT \"v=spf1 a\\059 ip4:198.51.100.{} -all\" ( \"two\n words\"\n \"\\255\" ) ; c{n}\n\
             _dmarc.h{n} TXT ( \"v=DMARC1; p=none\" )\nw{n} CNAME h{n}\n",
            n % 250,
            n % 250
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("windows.zone");
    std::fs::write(&path, &text).unwrap();
    assert!(text.len() > 4 * 256 * 1024);
    let whole = mailaudit::dns::parse_zone(text.as_bytes(), None, &path).unwrap();
    assert_eq!(read_zone_file(&path).unwrap(), whole);
    assert_eq!(whole.len(), 1 + 12_000 * 4);

    // An error past the first windows still names its line.
    let lines = text.matches('\n').count();
    std::fs::write(&path, format!("{text}bad A 192.0.2.300\n")).unwrap();
    let err = ZoneSet::load_files(std::slice::from_ref(&path)).unwrap_err();
    assert_eq!(err.line(), Some(lines + 1), "{err}");
}
