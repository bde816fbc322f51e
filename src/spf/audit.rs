//! Static audit of a domain's published SPF policy: the whole include/redirect tree, counted
//! as receivers count it (RFC 7208 §4.6.4).

/// The rules this check emits.
pub const RULES: &[&str] = &[
    "spf/missing",
    "spf/multiple-records",
    "spf/syntax",
    "spf/lookup-limit",
    "spf/void-lookup-limit",
    "spf/mx-limit",
    "spf/include-loop",
    "spf/include-missing",
    "spf/permissive-all",
    "spf/ptr-mechanism",
    "spf/record-size",
    "spf/deprecated-rr",
    "spf/redirect-ignored",
    "dns/inconclusive",
];
