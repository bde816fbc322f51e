//! DKIM (RFC 6376, RFC 8301, RFC 8463): the tag-list and key-record parsers and the audit of
//! the key records a domain publishes at `SELECTOR._domainkey.DOMAIN`, and the DKIM signatures
//! of a draft (`signature`).

pub mod audit;
pub mod key;
pub mod rules;
pub mod selectors;
pub mod signature;
pub mod tags;

pub use audit::{DkimAudit, DkimFacts, SelectorFacts, audit_dkim};
pub use key::{
    KeyDataError, KeyRecord, KeyRecordError, KeyType, PublicKey, RsaKeyEncoding, TagSpan,
    decode_key, parse_key_record,
};
pub use selectors::{common_selectors, parse_selector_list};
pub use signature::{SignatureFacts, SignatureInput, check_signatures};
pub use tags::{Span, Tag, TagListError, parse_tag_list};
