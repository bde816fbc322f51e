//! The rules of the draft lint and the thresholds it reads: the draft itself (`message/`,
//! [`super::audit`], [`super::headers`]), `unsubscribe/` ([`super::unsubscribe`]),
//! `subject/` ([`super::subject`]), `sequence/` ([`super::sequence`]), and the body analysis's
//! `body/` and `template/` ([`super::body`]). The draft's DKIM signatures are the DKIM
//! family's ([`crate::dkim::rules`]), its inline ignores the configuration's
//! ([`crate::config::rules`]).

use crate::rules::{RuleId, Threshold, concat};

pub const UNPARSEABLE: RuleId = RuleId::new("message/unparseable");
pub const UNREADABLE: RuleId = RuleId::new("message/unreadable");
pub const TOO_LARGE: RuleId = RuleId::new("message/too-large");
pub const MISSING_HEADER: RuleId = RuleId::new("message/missing-header");
pub const DUPLICATE_HEADER: RuleId = RuleId::new("message/duplicate-header");
pub const MULTIPLE_FROM: RuleId = RuleId::new("message/multiple-from");
pub const NO_REPLY_SENDER: RuleId = RuleId::new("message/no-reply-sender");

pub const UNSUBSCRIBE_MISSING: RuleId = RuleId::new("unsubscribe/missing");
pub const UNSUBSCRIBE_SYNTAX: RuleId = RuleId::new("unsubscribe/syntax");
pub const UNSUBSCRIBE_NO_HTTPS: RuleId = RuleId::new("unsubscribe/no-https");
pub const UNSUBSCRIBE_ONE_CLICK_MISSING: RuleId = RuleId::new("unsubscribe/one-click-missing");
pub const UNSUBSCRIBE_ONE_CLICK_INVALID: RuleId = RuleId::new("unsubscribe/one-click-invalid");

pub const SUBJECT_UNRESOLVED_MERGE_TAG: RuleId = RuleId::new("subject/unresolved-merge-tag");
pub const SUBJECT_TOO_LONG: RuleId = RuleId::new("subject/too-long");
pub const SUBJECT_ALL_CAPS: RuleId = RuleId::new("subject/all-caps");
pub const SUBJECT_EXCESSIVE_PUNCTUATION: RuleId = RuleId::new("subject/excessive-punctuation");
pub const SUBJECT_FAKE_REPLY: RuleId = RuleId::new("subject/fake-reply");

pub const SEQUENCE_SENDER_DRIFT: RuleId = RuleId::new("sequence/sender-drift");
pub const SEQUENCE_LENGTH: RuleId = RuleId::new("sequence/length");

pub const BODY_NO_OPT_OUT: RuleId = RuleId::new("body/no-opt-out");
pub const BODY_NO_POSTAL_ADDRESS: RuleId = RuleId::new("body/no-postal-address");
pub const BODY_NO_TEXT_PART: RuleId = RuleId::new("body/no-text-part");
pub const BODY_WORD_COUNT: RuleId = RuleId::new("body/word-count");
pub const BODY_TOO_MANY_LINKS: RuleId = RuleId::new("body/too-many-links");
pub const BODY_LINK_DENSITY: RuleId = RuleId::new("body/link-density");
pub const BODY_MULTIPLE_CTAS: RuleId = RuleId::new("body/multiple-ctas");
pub const BODY_URL_SHORTENER: RuleId = RuleId::new("body/url-shortener");
pub const BODY_INSECURE_LINK: RuleId = RuleId::new("body/insecure-link");
pub const BODY_LINK_TEXT_MISMATCH: RuleId = RuleId::new("body/link-text-mismatch");
pub const BODY_IMAGE_ONLY: RuleId = RuleId::new("body/image-only");
pub const BODY_UNRESOLVED_MERGE_TAG: RuleId = RuleId::new("body/unresolved-merge-tag");
pub const BODY_HIDDEN_TEXT: RuleId = RuleId::new("body/hidden-text");
pub const BODY_HTML_TOO_LARGE: RuleId = RuleId::new("body/html-too-large");
pub const BODY_NO_SENDER_IDENTITY: RuleId = RuleId::new("body/no-sender-identity");
pub const BODY_ATTACHMENT: RuleId = RuleId::new("body/attachment");
pub const TEMPLATE_MERGE_TAG_SYNTAX: RuleId = RuleId::new("template/merge-tag-syntax");
pub const TEMPLATE_MIXED_SYNTAX: RuleId = RuleId::new("template/mixed-syntax");
pub const TEMPLATE_NO_FALLBACK: RuleId = RuleId::new("template/no-fallback");

/// The rules of reading and parsing a draft ([`super::audit`]).
pub const DRAFT_RULES: &[RuleId] = &[UNPARSEABLE, UNREADABLE, TOO_LARGE];

/// The rules of the header checks ([`super::headers`]).
pub const HEADER_RULES: &[RuleId] = &[
    MISSING_HEADER,
    DUPLICATE_HEADER,
    MULTIPLE_FROM,
    NO_REPLY_SENDER,
];

/// The rules of the unsubscribe checks ([`super::unsubscribe`]).
pub const UNSUBSCRIBE_RULES: &[RuleId] = &[
    UNSUBSCRIBE_MISSING,
    UNSUBSCRIBE_SYNTAX,
    UNSUBSCRIBE_NO_HTTPS,
    UNSUBSCRIBE_ONE_CLICK_MISSING,
    UNSUBSCRIBE_ONE_CLICK_INVALID,
];

/// The rules of the subject checks ([`super::subject`]).
pub const SUBJECT_RULES: &[RuleId] = &[
    SUBJECT_UNRESOLVED_MERGE_TAG,
    SUBJECT_TOO_LONG,
    SUBJECT_ALL_CAPS,
    SUBJECT_EXCESSIVE_PUNCTUATION,
    SUBJECT_FAKE_REPLY,
];

/// The rules of the sequence checks over a directory's drafts ([`super::sequence`]).
pub const SEQUENCE_RULES: &[RuleId] = &[SEQUENCE_SENDER_DRIFT, SEQUENCE_LENGTH];

/// The rules of the body analysis ([`super::body`]).
pub const BODY_RULES: &[RuleId] = &[
    BODY_NO_OPT_OUT,
    BODY_NO_POSTAL_ADDRESS,
    BODY_NO_TEXT_PART,
    BODY_WORD_COUNT,
    BODY_TOO_MANY_LINKS,
    BODY_LINK_DENSITY,
    BODY_MULTIPLE_CTAS,
    BODY_URL_SHORTENER,
    BODY_INSECURE_LINK,
    BODY_LINK_TEXT_MISMATCH,
    BODY_IMAGE_ONLY,
    BODY_UNRESOLVED_MERGE_TAG,
    BODY_HIDDEN_TEXT,
    BODY_HTML_TOO_LARGE,
    BODY_NO_SENDER_IDENTITY,
    BODY_ATTACHMENT,
    TEMPLATE_MERGE_TAG_SYNTAX,
    TEMPLATE_MIXED_SYNTAX,
    TEMPLATE_NO_FALLBACK,
];

/// Every rule the draft lint emits itself.
pub const RULES: &[RuleId] = &ALL;
const PARTS: &[&[RuleId]] = &[
    DRAFT_RULES,
    HEADER_RULES,
    UNSUBSCRIBE_RULES,
    SUBJECT_RULES,
    SEQUENCE_RULES,
    BODY_RULES,
];
const ALL: [RuleId;
    DRAFT_RULES.len()
        + HEADER_RULES.len()
        + UNSUBSCRIBE_RULES.len()
        + SUBJECT_RULES.len()
        + SEQUENCE_RULES.len()
        + BODY_RULES.len()] = concat(PARTS);

pub const SUBJECT_TOO_LONG_MAX_CHARS: Threshold = Threshold::new(SUBJECT_TOO_LONG, "max_chars");
pub const SUBJECT_ALL_CAPS_MIN_LETTERS: Threshold = Threshold::new(SUBJECT_ALL_CAPS, "min_letters");
pub const SUBJECT_ALL_CAPS_MAX_UPPER_RATIO: Threshold =
    Threshold::new(SUBJECT_ALL_CAPS, "max_upper_ratio");
pub const SUBJECT_EXCESSIVE_PUNCTUATION_MAX_RUN: Threshold =
    Threshold::new(SUBJECT_EXCESSIVE_PUNCTUATION, "max_run");
pub const SUBJECT_EXCESSIVE_PUNCTUATION_MAX_EXCLAMATION: Threshold =
    Threshold::new(SUBJECT_EXCESSIVE_PUNCTUATION, "max_exclamation");
pub const SUBJECT_EXCESSIVE_PUNCTUATION_MAX_DOLLAR: Threshold =
    Threshold::new(SUBJECT_EXCESSIVE_PUNCTUATION, "max_dollar");
pub const SEQUENCE_LENGTH_MAX_TOUCHES: Threshold = Threshold::new(SEQUENCE_LENGTH, "max_touches");
pub const BODY_WORD_COUNT_MIN: Threshold = Threshold::new(BODY_WORD_COUNT, "min");
pub const BODY_WORD_COUNT_MAX: Threshold = Threshold::new(BODY_WORD_COUNT, "max");
pub const BODY_TOO_MANY_LINKS_MAX: Threshold = Threshold::new(BODY_TOO_MANY_LINKS, "max");
pub const BODY_LINK_DENSITY_MIN_WORDS_PER_LINK: Threshold =
    Threshold::new(BODY_LINK_DENSITY, "min_words_per_link");
pub const BODY_MULTIPLE_CTAS_MAX: Threshold = Threshold::new(BODY_MULTIPLE_CTAS, "max");
pub const BODY_IMAGE_ONLY_MIN_WORDS: Threshold = Threshold::new(BODY_IMAGE_ONLY, "min_words");
pub const BODY_HIDDEN_TEXT_PREHEADER_MAX_CHARS: Threshold =
    Threshold::new(BODY_HIDDEN_TEXT, "preheader_max_chars");
pub const BODY_HIDDEN_TEXT_COLOR_TOLERANCE: Threshold =
    Threshold::new(BODY_HIDDEN_TEXT, "color_tolerance");
pub const BODY_HTML_TOO_LARGE_MAX_BYTES: Threshold =
    Threshold::new(BODY_HTML_TOO_LARGE, "max_bytes");
pub const BODY_NO_SENDER_IDENTITY_CLOSING_LINES: Threshold =
    Threshold::new(BODY_NO_SENDER_IDENTITY, "closing_lines");
pub const BODY_NO_SENDER_IDENTITY_REQUIRE_CONTACT: Threshold =
    Threshold::new(BODY_NO_SENDER_IDENTITY, "require_contact");

/// Every threshold the draft lint reads.
pub const THRESHOLDS: &[Threshold] = &[
    SUBJECT_TOO_LONG_MAX_CHARS,
    SUBJECT_ALL_CAPS_MIN_LETTERS,
    SUBJECT_ALL_CAPS_MAX_UPPER_RATIO,
    SUBJECT_EXCESSIVE_PUNCTUATION_MAX_RUN,
    SUBJECT_EXCESSIVE_PUNCTUATION_MAX_EXCLAMATION,
    SUBJECT_EXCESSIVE_PUNCTUATION_MAX_DOLLAR,
    SEQUENCE_LENGTH_MAX_TOUCHES,
    BODY_WORD_COUNT_MIN,
    BODY_WORD_COUNT_MAX,
    BODY_TOO_MANY_LINKS_MAX,
    BODY_LINK_DENSITY_MIN_WORDS_PER_LINK,
    BODY_MULTIPLE_CTAS_MAX,
    BODY_IMAGE_ONLY_MIN_WORDS,
    BODY_HIDDEN_TEXT_PREHEADER_MAX_CHARS,
    BODY_HIDDEN_TEXT_COLOR_TOLERANCE,
    BODY_HTML_TOO_LARGE_MAX_BYTES,
    BODY_NO_SENDER_IDENTITY_CLOSING_LINES,
    BODY_NO_SENDER_IDENTITY_REQUIRE_CONTACT,
];
