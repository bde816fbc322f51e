//! Helpers shared by integration tests (`mod support;`). Each test binary uses only some.
#![allow(dead_code)]

pub mod dns_server;
