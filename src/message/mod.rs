//! Drafts (`mailaudit message`): `.eml` files parsed into facts, checked by one module per
//! rule family, and sequence checks over the drafts of one directory.

pub mod body;
pub mod lists;
