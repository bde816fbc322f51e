//! mailaudit: an email deliverability and compliance auditor.
//!
//! The library never prints and never exits: inputs become facts (`dns`, `spf`), checks turn
//! facts into [`finding::Finding`]s, and `report` renders them.

#![forbid(unsafe_code)]

pub mod app;
pub mod campaign;
pub mod config;
pub mod csv;
pub mod date;
pub mod dkim;
pub mod dmarc;
pub mod dns;
pub mod domain;
pub mod feedback;
pub mod finding;
pub mod input;
pub mod list;
pub mod message;
pub mod mime;
pub mod mx;
pub mod ordered;
pub mod path;
pub mod report;
pub mod reports;
pub mod rules;
pub mod run;
pub mod score;
pub mod sender;
pub mod spf;
pub mod text;
