//! The integration tests: one test binary (one link step) with one module per area, and the
//! shared helpers as modules of it. Only tests that need a process of their own are separate
//! crates: tests/report_human_color.rs (`colored::control` is process-wide) and
//! tests/dns_query_budget.rs (its DNS server shares the runtime with CPU-bound audits; with
//! another test competing for the CPU, queries time out and are asked again) and
//! tests/dns_hostile_server.rs (hostile servers scripted on 127.0.0.1; it measures how long a
//! query takes).
//!
//! Insta snapshots are in `snapshots/`, named `integration__<module>__<test>.snap`; proptest
//! keeps failure seeds in `tests/proptest-regressions/<module>.txt`.

mod report_fixture;
mod report_runs;
mod support;

mod campaign_file;
mod campaign_simulation;
mod campaign_stats;
mod campaign_suppressions;
mod cli_cases;
mod cli_hostile;
mod cli_live;
mod contract;
mod dkim_audit;
mod dkim_key_records;
mod dkim_properties;
mod dkim_signatures;
mod dmarc_audit;
mod dmarc_discovery;
mod dmarc_properties;
mod dmarc_psl;
mod dmarc_receivers;
mod dmarc_records;
mod dmarc_scenarios;
mod dns_live;
mod dns_zonefile;
mod ecosystem;
mod feedback_conformance;
mod feedback_run;
mod input_limits;
mod list_gate;
mod list_properties;
mod list_run;
mod message_body;
mod message_body_fixtures;
mod message_body_properties;
mod message_bombs;
mod message_corpus;
mod message_properties;
mod message_report;
mod message_rules;
mod message_run;
mod mx_audit;
mod mx_properties;
mod readme;
mod report_github;
mod report_human;
mod report_json;
mod report_jsonl;
mod report_output;
mod report_rules;
mod report_sarif;
mod report_schema;
mod reports_aggregate;
mod reports_failure;
mod reports_run;
mod reports_tlsrpt;
mod rules_registry;
mod sender_input;
mod sender_merge;
mod sender_properties;
mod sender_report;
mod sender_rules;
mod spf_audit;
mod spf_conformance;
mod spf_properties;
mod spf_suite_cli;
