use crate::report_fixture;

use mailaudit::report::{self, Format, JsonlWriter};
use serde_json::Value;

#[test]
fn jsonl_report() {
    let mut out = Vec::new();
    report::render(&report_fixture::report(), Format::Jsonl, &mut out).unwrap();
    insta::assert_snapshot!(String::from_utf8(out).unwrap());
}

#[test]
fn jsonl_streams_one_line_per_result() {
    let report = report_fixture::report();
    let mut writer = JsonlWriter::new(Vec::new());
    writer.write_result(&report.results[0]).unwrap();
    let first = String::from_utf8(writer.into_inner()).unwrap();
    assert_eq!(first.matches('\n').count(), 1);
    let value: Value = serde_json::from_str(first.trim_end()).unwrap();
    assert_eq!(value["schema_version"], 1);
    assert_eq!(value["target"], "zulu.example");
    assert_eq!(value["findings"].as_array().unwrap().len(), 2);
}
