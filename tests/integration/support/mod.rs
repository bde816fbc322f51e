//! Helpers shared by integration tests (`mod support;`). Each test binary uses only some.
#![allow(dead_code)]

pub mod dns_server;

use std::path::{Path, PathBuf};

/// Every `*.zone` file of `fixtures/zones/`, sorted.
pub fn fixture_zone_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/zones");
    let mut zones: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "zone"))
        .collect();
    zones.sort();
    zones
}

/// Run a future to completion on a fresh current-thread runtime.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// The results of a JSON report of one kind.
pub fn results<'a>(report: &'a serde_json::Value, kind: &str) -> Vec<&'a serde_json::Value> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == kind)
        .collect()
}
