//! The facts of `mailaudit feedback`: one message read, and one row per recipient it speaks
//! of (the rows the JSON, jsonl and csv outputs write).

use serde::Serialize;

/// What a message is (per recipient, and for the message: its first recipient's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum FeedbackKind {
    /// A permanent or final failure to deliver (RFC 3464 `Action: failed`).
    Bounce,
    /// A delivery still being retried (RFC 3464 `Action: delayed`).
    Delayed,
    /// A recipient's complaint (RFC 5965 ARF `abuse`, `fraud`, `virus`, `other`).
    Complaint,
    /// An automatic reply of a person (RFC 3834: vacation, out of office).
    AutoReply,
    /// Anything else, with the reason it is not feedback.
    NotFeedback,
}

impl FeedbackKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedbackKind::Bounce => "bounce",
            FeedbackKind::Delayed => "delayed",
            FeedbackKind::Complaint => "complaint",
            FeedbackKind::AutoReply => "auto-reply",
            FeedbackKind::NotFeedback => "not-feedback",
        }
    }
}

/// Whether the address is to be given up (docs/feedback.md "Hard and soft").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BounceClass {
    Hard,
    Soft,
}

impl BounceClass {
    pub fn as_str(self) -> &'static str {
        match self {
            BounceClass::Hard => "hard",
            BounceClass::Soft => "soft",
        }
    }
}

/// Why a message was refused (docs/feedback.md "Reasons").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    UserUnknown,
    MailboxFull,
    HostUnknown,
    /// Reputation, a blocklist, the sending IP refused.
    Blocked,
    /// Policy, content, spam, size.
    Policy,
    /// SPF, DKIM or DMARC failed or were missing.
    Authentication,
    RateLimited,
    /// The message stayed in the queue too long.
    Expired,
    Other,
}

const REASONS: &[(&str, Reason)] = &[
    ("user-unknown", Reason::UserUnknown),
    ("mailbox-full", Reason::MailboxFull),
    ("host-unknown", Reason::HostUnknown),
    ("blocked", Reason::Blocked),
    ("policy", Reason::Policy),
    ("authentication", Reason::Authentication),
    ("rate-limited", Reason::RateLimited),
    ("expired", Reason::Expired),
    ("other", Reason::Other),
];

impl Reason {
    pub fn parse(name: &str) -> Option<Reason> {
        REASONS.iter().find(|(n, _)| *n == name).map(|(_, r)| *r)
    }

    pub fn as_str(self) -> &'static str {
        REASONS
            .iter()
            .find(|(_, r)| *r == self)
            .map_or("other", |(n, _)| n)
    }
}

/// One recipient of one feedback message: the row of `facts.recipients`, of jsonl and of csv.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecipientRow {
    /// The feedback file (and `> message N` inside an mbox).
    pub file: String,
    /// The recipient the feedback is about (a bounce's failed recipient, the complaining
    /// recipient, the person who replied automatically); None when the message names none.
    pub recipient: Option<String>,
    pub kind: FeedbackKind,
    pub bounce: Option<BounceClass>,
    pub reason: Option<Reason>,
    /// The enhanced status code (RFC 3463), x.y.z.
    pub status: Option<String>,
    /// A short, bounded piece of the receiver's reply (never the body of a message).
    pub diagnostic: Option<String>,
    pub remote_mta: Option<String>,
    /// The domain of the original message's From (the sender's domain).
    pub sending_domain: Option<String>,
    pub message_id: Option<String>,
    pub feedback_id: Option<String>,
    pub list_id: Option<String>,
    /// The original's campaign header (`X-Campaign-ID`, `X-Campaign`, `X-Mailgun-Campaign-Id`).
    pub campaign: Option<String>,
    /// The feedback message's own date, RFC 3339 UTC.
    pub date: Option<String>,
    /// The ARF `Feedback-Type` of a complaint (or a report that is none).
    pub feedback_type: Option<String>,
}

/// The CSV columns of a recipient row, in this order (`--format csv`).
pub const ROW_COLUMNS: &[&str] = &[
    "file",
    "recipient",
    "kind",
    "bounce",
    "reason",
    "status",
    "diagnostic",
    "remote_mta",
    "sending_domain",
    "message_id",
    "feedback_id",
    "list_id",
    "campaign",
    "date",
    "feedback_type",
];

impl RecipientRow {
    /// The row's fields in [`ROW_COLUMNS`] order, empty for none.
    pub fn fields(&self) -> Vec<String> {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        vec![
            self.file.clone(),
            o(&self.recipient),
            self.kind.as_str().to_string(),
            self.bounce
                .map(|b| b.as_str().to_string())
                .unwrap_or_default(),
            self.reason
                .map(|r| r.as_str().to_string())
                .unwrap_or_default(),
            o(&self.status),
            o(&self.diagnostic),
            o(&self.remote_mta),
            o(&self.sending_domain),
            o(&self.message_id),
            o(&self.feedback_id),
            o(&self.list_id),
            o(&self.campaign),
            o(&self.date),
            o(&self.feedback_type),
        ]
    }
}

/// How the message was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FeedbackFormat {
    /// A `message/delivery-status` part (RFC 3464).
    Rfc3464,
    /// A `message/feedback-report` part (RFC 5965).
    Arf,
    /// An Amazon SES notification (JSON).
    SesJson,
    /// The text of a bounce without a DSN part (qmail, Exim, Postfix without DSN, ...).
    Text,
    /// The header fields of an automatic reply (RFC 3834).
    AutoReply,
    /// None of these.
    None,
}

/// One feedback message read: `facts` of a `feedback` result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FeedbackFacts {
    pub file: String,
    /// `message N` inside an mbox, else empty.
    pub part: String,
    pub kind: FeedbackKind,
    pub format: FeedbackFormat,
    /// Why a message is `not-feedback`, or what could not be read.
    pub why: Option<String>,
    pub recipients: Vec<RecipientRow>,
}

/// A message's facts without its rows (`jsonl` writes the rows as lines of their own).
#[derive(Debug, Serialize)]
pub struct FeedbackSummary<'a> {
    pub file: &'a str,
    pub part: &'a str,
    pub kind: FeedbackKind,
    pub format: FeedbackFormat,
    pub why: &'a Option<String>,
    pub recipient_count: usize,
}

impl FeedbackFacts {
    pub fn without_rows(&self) -> FeedbackSummary<'_> {
        FeedbackSummary {
            file: &self.file,
            part: &self.part,
            kind: self.kind,
            format: self.format,
            why: &self.why,
            recipient_count: self.recipients.len(),
        }
    }
}
