//! `mailaudit feedback` on the shared bounce corpus (fixtures/feedback/conformance, from
//! sisimai/set-of-emails, BSD-2-Clause; SOURCE.md): every bounce classified or said not to
//! be feedback; agreement with Sisimai 4.25.15's reading (bounces-sisimai.tsv) on hard/soft
//! and on the reason, printed, with a floor; every disagreement in a class explained below;
//! not-bounces never bounces; the ARF samples against mail-auth's expected JSON; the same
//! answer for CRLF and CR line endings; no panic on mangled messages; and the reader's walk
//! (most messages read without the full MIME parse) reading every message as the full parse
//! does.

use mailaudit::feedback::mail::Mail;
use mailaudit::feedback::{
    FeedbackKind, FeedbackOptions, FeedbackResult, audit_feedback, read_message,
    read_message_fully_parsed,
};
use mailaudit::rules::Rules;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn corpus(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/feedback/conformance")
        .join(dir)
}

fn read_all(path: &Path) -> Vec<FeedbackResult> {
    let rules = Rules::builtin().unwrap();
    let mut out = Vec::new();
    audit_feedback::<()>(
        &[path.to_path_buf()],
        &rules,
        &FeedbackOptions::default(),
        |r| {
            out.push(r);
            Ok(())
        },
    )
    .unwrap();
    out
}

fn name_of(file: &str) -> String {
    Path::new(file)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// Sisimai's reasons in ours (docs/feedback.md "Sisimai's reasons"). `delivered` and
/// `vacation` are not bounces (softbounce -1): they are compared on hard/soft only.
const SISIMAI_REASONS: &[(&str, &str)] = &[
    ("userunknown", "user-unknown"),
    ("hasmoved", "user-unknown"),
    ("suspend", "user-unknown"),
    ("hostunknown", "host-unknown"),
    ("notaccept", "host-unknown"),
    ("mailboxfull", "mailbox-full"),
    ("blocked", "blocked"),
    ("securityerror", "authentication"),
    ("toomanyconn", "rate-limited"),
    ("expired", "expired"),
    ("filtered", "policy"),
    ("rejected", "policy"),
    ("policyviolation", "policy"),
    ("spamdetected", "policy"),
    ("contenterror", "policy"),
    ("mesgtoobig", "policy"),
    ("exceedlimit", "policy"),
    ("norelaying", "policy"),
    ("networkerror", "other"),
    ("systemerror", "other"),
    ("systemfull", "other"),
    ("mailererror", "other"),
    ("onhold", "other"),
    ("undefined", "other"),
    ("syntaxerror", "other"),
];

/// Every disagreement with Sisimai, by class: (what Sisimai says, what we say, an example,
/// why). "what we say" is a reason of ours, `hard`/`soft`/`none` on the hard/soft column,
/// `missing` when we name no such recipient, or `*` for every answer of ours to a reason
/// that is Sisimai's own catch-all. Where Sisimai and RFC 3463/3464 disagree, the RFC wins.
const EXPLAINED: &[(&str, &str, &str, &str)] = &[
    (
        "filtered",
        "user-unknown",
        "lhost-postfix-03.eml",
        "the reply says the mailbox does not exist (\"550 Unknown user\", X.1.1); Sisimai calls a refusal after DATA a filter. RFC 3463 §3.2 X.1.1: bad destination mailbox address",
    ),
    (
        "filtered",
        "hard",
        "lhost-postfix-03.eml",
        "the same messages: a permanent failure (class 5, RFC 3463 §3.1) of an address that does not exist is a hard bounce; Sisimai counts every filtered as soft",
    ),
    (
        "filtered",
        "mailbox-full",
        "lhost-amazonworkmail-02.eml",
        "5.2.1 with an over-quota text: the words name a full mailbox (RFC 3463 X.2.2)",
    ),
    (
        "filtered",
        "other",
        "lhost-apachejames-01.eml",
        "\"Invalid user address\" from a list server we do not read as a bounce",
    ),
    (
        "userunknown",
        "soft",
        "lhost-postfix-05.eml",
        "either a temporary status (4.1.1: class 4 is transient, RFC 3463 §3.1) or a text we could not read the reason from (Lotus Notes, MailMarshal, Domino in undeclared ISO-2022-JP): a bounce whose reason is unknown is never hard, since hard is what gets an address suppressed",
    ),
    (
        "userunknown",
        "other",
        "lhost-mailmarshal-02.eml",
        "the reason is in a layout we do not read (multi-line Notes and MailMarshal reports, undeclared ISO-2022-JP)",
    ),
    (
        "userunknown",
        "blocked",
        "lhost-postfix-80.eml",
        "\"MailFrom domain is listed in Spamhaus\": the sender's reputation, not the recipient (RFC 3463 X.7.X); Sisimai goes by the 5.1.0 code",
    ),
    (
        "userunknown",
        "policy",
        "rhost-messagelabs-03.eml",
        "the reply is a policy or sender refusal; the recipient is not said to be unknown",
    ),
    (
        "userunknown",
        "mailbox-full",
        "rhost-aol-03.eml",
        "the reply text names a full mailbox",
    ),
    (
        "hostunknown",
        "user-unknown",
        "lhost-exim-37.eml",
        "the reply names the mailbox (X.1.1), not the host",
    ),
    (
        "mailboxfull",
        "user-unknown",
        "lhost-postfix-13.eml",
        "Sisimai gives the message's one reason to every recipient; this recipient's own reply is 5.2.1 \"User Unknown\"",
    ),
    (
        "mailboxfull",
        "hard",
        "lhost-postfix-13.eml",
        "the same recipient: a permanent failure of an unknown user is hard",
    ),
    (
        "mailboxfull",
        "other",
        "lhost-biglobe-01.eml",
        "a Japanese text without a status code that we do not read",
    ),
    (
        "mailboxfull",
        "missing",
        "lhost-kddi-03.eml",
        "a KDDI notice in Japanese that names no recipient address we can read",
    ),
    (
        "blocked",
        "authentication",
        "lhost-office365-03.eml",
        "the reply names SPF (\"not allowed to send ... per its SPF Record\"): authentication (RFC 7372 X.7.23) is the more precise class",
    ),
    (
        "blocked",
        "rate-limited",
        "rhost-microsoft-05.eml",
        "the reply speaks of a rate or volume limit",
    ),
    (
        "blocked",
        "host-unknown",
        "lhost-v5sendmail-05.eml",
        "the recipient's own reply in a multi-recipient V5 sendmail bounce is \"Host unknown\"",
    ),
    (
        "blocked",
        "hard",
        "lhost-v5sendmail-05.eml",
        "the same: host unknown, class 5: hard",
    ),
    (
        "blocked",
        "expired",
        "lhost-sendmail-21.eml",
        "a temporary status on a failed delivery with no other reason: the message was given up on (RFC 3464 §2.3.3)",
    ),
    (
        "blocked",
        "policy",
        "lhost-exim-49.eml",
        "a generic refusal text with no blocklist or reputation named",
    ),
    (
        "blocked",
        "other",
        "lhost-postfix-49.eml",
        "no reason in the reply we can read",
    ),
    (
        "securityerror",
        "policy",
        "lhost-amazonses-07.eml",
        "5.7.x without SPF, DKIM or DMARC named: a policy refusal (RFC 3463 §3.8)",
    ),
    (
        "securityerror",
        "blocked",
        "lhost-gmail-05.eml",
        "the reply names the sender's reputation or a block",
    ),
    (
        "securityerror",
        "user-unknown",
        "lhost-amazonses-01.eml",
        "SES writes \"5.1.0 - Unknown address error\" first; the quoted reply says \"Access denied\"",
    ),
    (
        "securityerror",
        "hard",
        "lhost-amazonses-01.eml",
        "the same message, read as an unknown address",
    ),
    (
        "securityerror",
        "other",
        "lhost-sendmail-53.eml",
        "no reason in the reply we can read",
    ),
    (
        "spamdetected",
        "authentication",
        "rhost-gsuite-12.eml",
        "Gmail's reply names SPF/DKIM authentication",
    ),
    (
        "spamdetected",
        "blocked",
        "lhost-imailserver-06.eml",
        "the reply names a blocklist",
    ),
    (
        "policyviolation",
        "authentication",
        "lhost-postfix-71.eml",
        "the reply names DMARC (\"rejected due to ... DMARC policy\"): authentication, the class a sender fixes with `mailaudit domain`",
    ),
    (
        "policyviolation",
        "blocked",
        "lhost-sendmail-31.eml",
        "the reply names a blocklist or reputation",
    ),
    (
        "policyviolation",
        "other",
        "lhost-postfix-41.eml",
        "no reason in the reply we can read",
    ),
    (
        "rejected",
        "other",
        "lhost-googlegroups-01.eml",
        "a Google Groups notice (in Japanese here) with no SMTP reply: we cannot tell a posting refusal",
    ),
    (
        "rejected",
        "blocked",
        "lhost-exim-43.eml",
        "the reply names reverse DNS or the sending server: the sender's reputation (RFC 3463 X.7.X)",
    ),
    (
        "rejected",
        "user-unknown",
        "rhost-nttdocomo-02.eml",
        "the reply says \"Unknown user\" about the recipient (X.1.1)",
    ),
    (
        "rejected",
        "hard",
        "rhost-nttdocomo-02.eml",
        "the same: an unknown user, class 5: hard",
    ),
    (
        "rejected",
        "host-unknown",
        "lhost-exim-50.eml",
        "the reply names the recipient's domain",
    ),
    (
        "rejected",
        "mailbox-full",
        "lhost-exim-45.eml",
        "the reply names a full mailbox",
    ),
    (
        "rejected",
        "missing",
        "lhost-fml-02.eml",
        "a mailing list manager's \"you are not a member\" reply: not a bounce of ours (not-feedback)",
    ),
    (
        "suspend",
        "other",
        "lhost-ezweb-03.eml",
        "a disabled account in a text we do not read",
    ),
    (
        "suspend",
        "mailbox-full",
        "rhost-google-01.eml",
        "the reply names a full or over-quota mailbox",
    ),
    (
        "suspend",
        "rate-limited",
        "lhost-amazonses-19.eml",
        "the reply speaks of a rate limit",
    ),
    (
        "suspend",
        "policy",
        "lhost-sendmail-35.eml",
        "a generic refusal",
    ),
    (
        "suspend",
        "hard",
        "lhost-ezweb-02.eml",
        "the reply is \"550 user unknown\" (X.1.1): the address is gone, hard; RFC 3463 X.2.1 (disabled) alone would be soft",
    ),
    (
        "expired",
        "other",
        "lhost-gmail-08.eml",
        "a delay notice still being retried (delayed, not expired yet) or a text without a reason",
    ),
    (
        "expired",
        "policy",
        "lhost-zoho-05.eml",
        "the last reply was a policy refusal",
    ),
    (
        "toomanyconn",
        "blocked",
        "rhost-tencent-01.eml",
        "the reply names the sender's reputation or a block",
    ),
    (
        "toomanyconn",
        "*",
        "lhost-postfix-59.eml",
        "the reply names what it is (a full mailbox, a policy)",
    ),
    (
        "norelaying",
        "*",
        "lhost-sendmail-07.eml",
        "the reply names a block or the message expired",
    ),
    (
        "contenterror",
        "*",
        "lhost-sendmail-06.eml",
        "the reply names a block",
    ),
    (
        "exceedlimit",
        "*",
        "lhost-receivingses-08.eml",
        "the reply names a full mailbox (quota)",
    ),
    (
        "mesgtoobig",
        "*",
        "lhost-exim-58.eml",
        "no size reason in the reply we read",
    ),
    (
        "delivered",
        "missing",
        "lhost-amazonses-12.eml",
        "an SES delivery notification: not feedback, no rows (Sisimai: not a bounce either)",
    ),
    (
        "onhold",
        "none",
        "rfc3834-05.eml",
        "an RFC 3834 auto-reply (Auto-Submitted: auto-replied): not a bounce",
    ),
    (
        "onhold",
        "hard",
        "lhost-opensmtpd-14.eml",
        "the reply says the user is unknown",
    ),
    (
        "networkerror",
        "*",
        "lhost-postfix-34.eml",
        "Sisimai's networkerror is not a reason of ours: we name what the reply says, host-unknown for a name service error (X.4.4, X.1.2), expired for a delivery given up after retries (RFC 3464 §2.3.3)",
    ),
    (
        "systemerror",
        "*",
        "lhost-postfix-40.eml",
        "Sisimai's catch-all: we name what the reply says",
    ),
    (
        "mailererror",
        "*",
        "lhost-postfix-79.eml",
        "Sisimai's catch-all: we name what the reply says",
    ),
    (
        "onhold",
        "*",
        "lhost-notes-01.eml",
        "Sisimai's catch-all: we name what the reply says",
    ),
    (
        "undefined",
        "*",
        "rhost-franceptt-10.eml",
        "Sisimai's catch-all: we name what the reply says",
    ),
    (
        "syntaxerror",
        "*",
        "lhost-exim-52.eml",
        "Sisimai's catch-all: we name what the reply says",
    ),
    (
        "systemfull",
        "*",
        "lhost-mfilter-05.eml",
        "Sisimai's catch-all: we name what the reply says",
    ),
];

/// The floors: what this reader reaches (raise them, never lower them).
const HARD_SOFT_FLOOR: usize = 420;
const REASON_FLOOR: usize = 306;

fn explained(sisimai: &str, ours: &str) -> Option<&'static str> {
    EXPLAINED
        .iter()
        .find(|(s, o, _, _)| *s == sisimai && *o == ours)
        .or_else(|| {
            EXPLAINED
                .iter()
                .find(|(s, o, _, _)| *s == sisimai && *o == "*")
        })
        .map(|(_, _, _, why)| *why)
}

#[test]
fn every_bounce_is_classified_and_agrees_with_sisimai_where_the_rfc_allows() {
    let results = read_all(&corpus("bounces"));
    let files = std::fs::read_dir(corpus("bounces")).unwrap().count();
    assert_eq!(files, 490);
    let mut by_file: BTreeMap<String, Vec<&FeedbackResult>> = BTreeMap::new();
    for r in &results {
        by_file.entry(name_of(&r.facts.file)).or_default().push(r);
    }
    assert_eq!(by_file.len(), 490, "every file gives a result");
    for (file, found) in &by_file {
        for r in found {
            assert!(
                r.facts.kind != FeedbackKind::NotFeedback || r.facts.why.is_some(),
                "{file}: not feedback without a reason"
            );
        }
    }
    let tsv = std::fs::read_to_string(corpus("bounces-sisimai.tsv")).unwrap();
    let (mut rows, mut hs_agree, mut reason_rows, mut reason_agree, mut no_verdict) =
        (0, 0, 0, 0, 0);
    let mut unexplained = Vec::new();
    let mut classes: BTreeMap<(String, String), usize> = BTreeMap::new();
    for line in tsv.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let (file, rcpt, reason, soft) = (f[0], f[1], f[2], f.get(3).copied().unwrap_or(""));
        if reason == "(none)" {
            no_verdict += 1;
            continue;
        }
        rows += 1;
        let ours: Vec<_> = by_file
            .get(file)
            .into_iter()
            .flatten()
            .flat_map(|r| &r.facts.recipients)
            .collect();
        let row = ours
            .iter()
            .find(|r| {
                r.recipient
                    .as_deref()
                    .is_some_and(|a| a.eq_ignore_ascii_case(rcpt))
            })
            .or_else(|| (ours.len() == 1).then(|| &ours[0]))
            .copied();
        let want = match soft {
            "0" => "hard",
            "1" => "soft",
            _ => "none",
        };
        let got = match row {
            Some(r) => r.bounce.map_or("none", |b| b.as_str()),
            None if ours.is_empty() => "none",
            None => "missing",
        };
        let mut disagree = |ours: &str| {
            *classes
                .entry((reason.to_string(), ours.to_string()))
                .or_default() += 1;
            if explained(reason, ours).is_none() {
                unexplained.push(format!("{file} {rcpt}: sisimai {reason}, ours {ours}"));
            }
        };
        if got == want {
            hs_agree += 1;
        } else {
            disagree(if got == "none" && want != "none" && row.is_none() {
                "missing"
            } else {
                got
            });
        }
        if let Some((_, mapped)) = SISIMAI_REASONS.iter().find(|(s, _)| *s == reason) {
            reason_rows += 1;
            let ours = row.and_then(|r| r.reason).map_or("missing", |r| r.as_str());
            if ours == *mapped {
                reason_agree += 1;
            } else {
                disagree(ours);
            }
        }
    }
    println!(
        "hard/soft: {hs_agree}/{rows} agree; reason: {reason_agree}/{reason_rows} agree \
         ({no_verdict} rows where Sisimai gives no verdict left out)"
    );
    for ((sisimai, ours), n) in &classes {
        println!(
            "  {n:>3} sisimai {sisimai}, ours {ours}: {}",
            explained(sisimai, ours).unwrap_or("UNEXPLAINED")
        );
    }
    assert!(
        unexplained.is_empty(),
        "disagreements in no explained class:\n{}",
        unexplained.join("\n")
    );
    assert!(
        hs_agree >= HARD_SOFT_FLOOR,
        "hard/soft {hs_agree} < {HARD_SOFT_FLOOR}"
    );
    assert!(
        reason_agree >= REASON_FLOOR,
        "reason {reason_agree} < {REASON_FLOOR}"
    );
}

#[test]
fn not_bounces_are_never_bounces() {
    let results = read_all(&corpus("not-bounces"));
    // Three files, one of them an mbox of two messages.
    assert_eq!(results.len(), 4);
    for r in &results {
        // rb-issue-368-bug.eml's first message is a postmaster's notice "reject reason:
        // Mailbox full, target mail address: ...": a full mailbox, which we read as a soft
        // bounce. It is never hard (never suppressed); the second message of the mbox (the
        // original, split at its unescaped "From " line) is no bounce.
        if r.target.ends_with("rb-issue-368-bug.eml > message 1") {
            assert!(
                r.facts
                    .recipients
                    .iter()
                    .all(|row| row.bounce != Some(mailaudit::feedback::BounceClass::Hard)),
                "{:?}",
                r.facts.recipients
            );
            continue;
        }
        assert!(
            r.facts
                .recipients
                .iter()
                .all(|row| row.kind != FeedbackKind::Bounce && row.bounce.is_none()),
            "{}: {:?}",
            r.target,
            r.facts.recipients
        );
    }
    println!(
        "not-bounces: {} read, none a bounce (rb-issue-368-bug.eml: a full-mailbox notice, soft, explained)",
        results.len()
    );
}

#[test]
fn arf_samples_agree_with_their_expected_json() {
    let (mut compared, mut agree) = (0, 0);
    for n in 1..=5 {
        let eml = corpus("arf").join(format!("{n:03}.eml"));
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(eml.with_extension("json")).unwrap())
                .unwrap();
        let results = read_all(&eml);
        let facts = &results[0].facts;
        let row = facts.recipients.first();
        // Feedback-Type: Abuse is a complaint; AuthFailure is a DMARC failure report.
        let want_type = json["feedback_type"].as_str().unwrap();
        let (want_kind, want_ft) = match want_type {
            "Abuse" => (FeedbackKind::Complaint, "abuse"),
            "AuthFailure" => (FeedbackKind::NotFeedback, "auth-failure"),
            other => panic!("{other}"),
        };
        compared += 2;
        agree += usize::from(facts.kind == want_kind);
        agree += usize::from(row.and_then(|r| r.feedback_type.as_deref()) == Some(want_ft));
        if want_kind == FeedbackKind::Complaint {
            compared += 1;
            let want_rcpt = json["original_rcpt_to"]
                .as_str()
                .map(|s| s.trim_matches(['<', '>']).to_string());
            agree += usize::from(row.and_then(|r| r.recipient.clone()) == want_rcpt);
        }
        if let Some(mta) = json["reporting_mta"].as_str() {
            compared += 1;
            agree += usize::from(
                row.and_then(|r| r.remote_mta.as_deref())
                    .is_some_and(|m| mta.contains(m)),
            );
        }
    }
    println!("ARF samples: {agree}/{compared} fields agree with mail-auth's expected JSON");
    assert_eq!(agree, compared);
    let mut complaints = 0;
    let mut total = 0;
    for entry in std::fs::read_dir(corpus("arf")).unwrap() {
        let path = entry.unwrap().path();
        let name = name_of(&path.to_string_lossy());
        if !name.starts_with("sisimai-arf-") {
            continue;
        }
        for r in read_all(&path) {
            total += 1;
            if r.facts.kind == FeedbackKind::Complaint {
                complaints += 1;
            } else if r.facts.kind == FeedbackKind::AutoReply {
                println!("  {name}: an automatic reply, not a complaint");
            } else {
                assert!(
                    r.facts.why.is_some(),
                    "{name}: not a complaint and no reason"
                );
                println!(
                    "  {name}: {:?}: {}",
                    r.facts.kind,
                    r.facts.why.as_deref().unwrap_or("")
                );
            }
        }
    }
    println!("sisimai ARF: {complaints}/{total} complaints");
    assert!(complaints >= 13, "{complaints}/{total}");
}

fn with_endings(bytes: &[u8], ending: &[u8]) -> Vec<u8> {
    let lf: Vec<u8> = bytes.iter().copied().filter(|b| *b != b'\r').collect();
    let mut out = Vec::with_capacity(lf.len() * 2);
    for b in lf {
        if b == b'\n' {
            out.extend_from_slice(ending);
        } else {
            out.push(b);
        }
    }
    out
}

#[test]
fn crlf_and_cr_classify_as_lf() {
    let mut same = 0;
    for entry in std::fs::read_dir(corpus("bounces")).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let lf = read_message(&with_endings(&bytes, b"\n"));
        for ending in [&b"\r\n"[..], &b"\r"[..]] {
            let other = read_message(&with_endings(&bytes, ending));
            assert_eq!(
                lf.as_ref().map(|r| (&r.kind, &r.recipients)),
                other.as_ref().map(|r| (&r.kind, &r.recipients)),
                "{}: {:?} line endings",
                path.display(),
                ending
            );
        }
        same += 1;
    }
    println!("CRLF and CR: {same}/490 bounces classified the same as with LF");
}

/// A small deterministic generator for the mangling (xorshift64).
fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

#[test]
fn mangled_bounces_never_panic() {
    let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
    let mut read = 0;
    for entry in std::fs::read_dir(corpus("bounces")).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        for cut in [1, bytes.len() / 3, bytes.len() / 2, bytes.len() * 2 / 3] {
            let _ = read_message(&bytes[..cut.min(bytes.len())]);
            read += 1;
        }
        for _ in 0..4 {
            let mut mangled = bytes.clone();
            for _ in 0..8 {
                let at = (next() as usize) % mangled.len().max(1);
                if let Some(b) = mangled.get_mut(at) {
                    *b ^= (next() & 0xff) as u8 | 1;
                }
            }
            let _ = read_message(&mangled);
            read += 1;
        }
    }
    println!("{read} truncated or mangled messages read without a panic");
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn the_walk_reads_every_message_as_the_full_mime_parse_does() {
    let mut files = Vec::new();
    files_under(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/feedback"),
        &mut files,
    );
    // The 3,546 SpamAssassin messages, when the shared corpus is there: ordinary mail of
    // every shape (message_corpus.rs reads them too).
    files_under(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
        &mut files,
    );
    files.sort();
    let mut next = xorshift(0x2545_f491_4f6c_dd1d);
    let (mut compared, mut walked) = (0, 0);
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let mut variants = vec![
            with_endings(&bytes, b"\n"),
            with_endings(&bytes, b"\r\n"),
            with_endings(&bytes, b"\r"),
            bytes[..bytes.len() / 2].to_vec(),
        ];
        let mut mangled = variants[0].clone();
        for _ in 0..6 {
            let at = (next() as usize) % mangled.len().max(1);
            if let Some(b) = mangled.get_mut(at) {
                *b = b"\n-:= \tB"[(next() % 7) as usize];
            }
        }
        variants.push(mangled);
        for variant in &variants {
            assert_eq!(
                read_message(variant),
                read_message_fully_parsed(variant),
                "{}: the walk and the full parse read it differently",
                path.display()
            );
            compared += 1;
        }
        walked += usize::from(Mail::walk(&variants[0]).is_some());
    }
    println!(
        "walk vs full MIME parse: {compared} messages and variants read the same; {walked} of {} \
         files walked without the full parse",
        files.len()
    );
    assert!(files.len() >= 500, "{} files", files.len());
    // Nine in ten are walked (else the walk is not what makes the reader fast).
    assert!(
        walked * 10 >= files.len() * 9,
        "{walked} of {}",
        files.len()
    );
}
