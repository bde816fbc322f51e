//! Drafts (`mailaudit message`): `.eml` files parsed into facts, checked by one module per
//! rule family, and sequence checks over the drafts of one directory.

pub mod audit;
pub mod body;
pub mod headers;
pub mod ignore;
pub mod lists;
pub mod parse;
pub mod rules;
pub mod run;
pub mod sequence;
pub mod subject;
pub mod unsubscribe;

pub use audit::{DkimVerifier, DraftAudit, DraftFacts, DraftOptions, audit_draft, audit_file};
pub use run::{MessageResult, audit_paths};
