//! The campaign file of `mailaudit check`: its keys and defaults, paths relative to the file,
//! the line of each key, and errors that name the file, the line and the key.

use mailaudit::campaign::{Campaign, CampaignError};
use mailaudit::finding::Location;
use mailaudit::message::rules::BODY_WORD_COUNT_MAX;
use mailaudit::rules::Rules;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

const MINIMAL: &str = "from = \"a@x.example\"\nenvelope_from = \"b@x.example\"\nsending_ips = [\"192.0.2.10\"]\ndkim_selector = \"s1\"\n";

fn parse(text: &str) -> Result<Campaign, CampaignError> {
    Campaign::parse(text, Path::new("camp/campaign.toml"), false)
}

fn error(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

#[test]
fn the_demo_campaign_loads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = dir.join("fixtures/campaign/campaign.toml");
    let c = Campaign::load(&path).unwrap();
    assert_eq!(c.name.as_deref(), Some("Q3 logistics outreach"));
    assert_eq!(c.from, "dana@acme-mail.example");
    assert_eq!(c.from_domain, "acme-mail.example");
    assert_eq!(c.envelope_domain, "news.acme-mail.example");
    assert_eq!(c.sending_ips, ["203.0.113.7".parse::<IpAddr>().unwrap()]);
    assert_eq!(c.dkim_key_name(), "google._domainkey.acme-mail.example");
    assert_eq!(c.drafts, [dir.join("fixtures/campaign/drafts")]);
    assert_eq!(c.stats, [dir.join("fixtures/campaign/stats.csv")]);
    assert_eq!(c.zones, [dir.join("fixtures/zones")]);
    assert_eq!(c.profile, "cold-outreach");
    assert!(!c.templates);
    assert_eq!(c.domains(), ["acme-mail.example", "news.acme-mail.example"]);
    // Its [rules] and [[ignore]] are valid rule data.
    let mut rules = Rules::builtin().unwrap();
    rules.apply(&c.config).unwrap();
    assert_eq!(rules.threshold(BODY_WORD_COUNT_MAX), 140.0);
    assert_eq!(c.config.ignores().len(), 1);
}

#[test]
fn defaults_and_paths() {
    let c = parse(MINIMAL).unwrap();
    assert_eq!(c.profile, "cold-outreach");
    assert!(c.drafts.is_empty() && c.stats.is_empty() && c.zones.is_empty());
    assert_eq!(c.dkim_domain(), "x.example");
    assert_eq!(c.domains(), ["x.example"]);

    let text = format!(
        "{MINIMAL}drafts = [\"seq/a\", \"./seq/b.eml\"]\nstats = \"../data/stats.csv\"\nzones = [\"../zones\", \"/abs/z.zone\"]\nprofile = \"newsletter\"\ntemplates = true\ndkim_domain = \"Mail.X.Example.\"\n"
    );
    let c = parse(&text).unwrap();
    assert_eq!(
        c.drafts,
        [PathBuf::from("camp/seq/a"), PathBuf::from("camp/seq/b.eml")]
    );
    assert_eq!(c.stats, [PathBuf::from("data/stats.csv")]);
    assert_eq!(
        c.zones,
        [PathBuf::from("zones"), PathBuf::from("/abs/z.zone")]
    );
    assert_eq!(c.profile, "newsletter");
    assert!(c.templates);
    assert_eq!(c.dkim_domain(), "mail.x.example");
    assert_eq!(c.dkim_key_name(), "s1._domainkey.mail.x.example");
    assert_eq!(c.domains(), ["x.example", "mail.x.example"]);
}

#[test]
fn keys_have_lines() {
    let text = "# comment\nfrom = \"Dana <a@x.example>\"\n\nenvelope_from = \"b@bounce.x.example\"\nsending_ips = [\n  \"192.0.2.10\",\n  \"2001:db8::7\",\n]\ndkim_selector = \"s1\"\ndkim_domain = \"x.example\"\ndrafts = \"d\"\nstats = \"s.csv\"\n";
    let c = parse(text).unwrap();
    let l = &c.lines;
    assert_eq!((l.from, l.envelope_from, l.dkim_selector), (2, 4, 9));
    assert_eq!(l.sending_ips, [6, 7]);
    assert_eq!(
        (l.dkim_domain, l.drafts, l.stats),
        (Some(10), Some(11), Some(12))
    );
}

#[test]
fn unknown_keys_are_named_with_their_line() {
    let err = error(&format!("{MINIMAL}\nsendng_ips = [\"192.0.2.1\"]\n"));
    assert!(
        err.starts_with("camp/campaign.toml:6: unknown key `sendng_ips`"),
        "{err}"
    );
    assert!(
        err.contains("known: name, from, envelope_from, sending_ips"),
        "{err}"
    );
    // An unknown key wins over a missing one: the typo is what the user needs to see.
    let err = error("form = \"a@x.example\"\n");
    assert!(err.contains(":1: unknown key `form`"), "{err}");
    // Inside [rules."ID"] and [[ignore]], as in mailaudit.toml.
    let err = error(&format!(
        "{MINIMAL}[rules.\"spf/ptr-mechanism\"]\nseverty = \"off\"\n"
    ));
    assert!(
        err.contains("campaign.toml:6:1: unknown field `severty`"),
        "{err}"
    );
    let err = error(&format!(
        "{MINIMAL}[[ignore]]\nrule = \"spf/ptr-mechanism\"\nreasn = \"x\"\n"
    ));
    assert!(err.contains("reasn"), "{err}");
}

#[test]
fn missing_keys_are_named() {
    for (key, text) in [
        ("from", "envelope_from = \"b@x.example\"\n"),
        ("envelope_from", "from = \"a@x.example\"\n"),
        (
            "sending_ips",
            "from = \"a@x.example\"\nenvelope_from = \"b@x.example\"\n",
        ),
        (
            "dkim_selector",
            "from = \"a@x.example\"\nenvelope_from = \"b@x.example\"\nsending_ips = [\"192.0.2.1\"]\n",
        ),
    ] {
        let err = error(text);
        assert!(err.contains(&format!("needs `{key}`")), "{key}: {err}");
    }
}

#[test]
fn bad_values_name_the_key_and_line() {
    let cases = [
        ("from = \"dana\"", 1, "`from`"),
        ("from = \"a@localhost\"", 1, "`from`"),
        ("envelope_from = \"<b@x.example\"", 2, "`envelope_from`"),
        (
            "sending_ips = [\"192.0.2.300\"]",
            3,
            "`sending_ips`: `192.0.2.300` is not an IP address",
        ),
        ("sending_ips = []", 3, "the list is empty"),
        (
            "sending_ips = [\"192.0.2.1\", \"192.0.2.1\"]",
            3,
            "listed twice",
        ),
        ("dkim_selector = \"bad selector\"", 4, "`dkim_selector`"),
        ("dkim_selector = \"\"", 4, "`dkim_selector`"),
    ];
    let lines: Vec<&str> = MINIMAL.lines().collect();
    for (replacement, line, needle) in cases {
        let key = replacement.split(' ').next().unwrap();
        let text: String = lines
            .iter()
            .map(|l| {
                if l.starts_with(&format!("{key} ")) {
                    replacement
                } else {
                    l
                }
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let err = error(&text);
        assert!(
            err.starts_with(&format!("camp/campaign.toml:{line}: ")) && err.contains(needle),
            "{replacement}: {err}"
        );
    }
    let err = error(&format!("{MINIMAL}profile = \"webinar\"\n"));
    assert!(
        err.contains(":5: `profile`: unknown profile `webinar` (known: cold-outreach, newsletter)"),
        "{err}"
    );
    let err = error(&format!("{MINIMAL}templates = \"yes\"\n"));
    assert!(err.contains("campaign.toml:5:"), "{err}");
    let err = error(&format!("{MINIMAL}dkim_domain = \"not a domain\"\n"));
    assert!(err.contains(":5: `dkim_domain`"), "{err}");
}

#[test]
fn named_files_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("campaign.toml");
    let load = |extra: &str| {
        std::fs::write(&path, format!("{MINIMAL}{extra}")).unwrap();
        Campaign::load(&path).map(|_| ()).map_err(|e| e.to_string())
    };
    assert!(load("").is_ok());
    let err = load("stats = \"stats.csv\"\n").unwrap_err();
    assert!(
        err.contains(":5: `stats`") && err.contains("no such file"),
        "{err}"
    );
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let err = load("drafts = \"empty\"\n").unwrap_err();
    assert!(err.contains(":5: `drafts`: no .eml drafts under"), "{err}");
    let err = load("stats = \"empty\"\n").unwrap_err();
    assert!(err.contains("is a directory"), "{err}");
    let err = load("zones = [\"nowhere.zone\"]\n").unwrap_err();
    assert!(err.contains(":5: `zones`"), "{err}");
    std::fs::write(dir.path().join("stats.csv"), "date,domain\n").unwrap();
    std::fs::create_dir(dir.path().join("d")).unwrap();
    std::fs::write(dir.path().join("d/x.eml"), "From: a@x.example\n\nhi\n").unwrap();
    assert!(load("stats = \"stats.csv\"\ndrafts = \"d\"\n").is_ok());
    let err = Campaign::load(&dir.path().join("nope.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cannot read campaign file") && err.ends_with("no such file or directory"),
        "{err}"
    );
}

#[test]
fn rules_and_ignores_are_read_with_campaign_lines() {
    let text = format!(
        "{MINIMAL}\n[rules.\"body/word-count\"]\nthresholds = {{ max = 140 }}\n\n[[ignore]]\nrule = \"spf/ptr-mechanism\"\ntarget = \"x.example\"\nreason = \"vendor\"\n"
    );
    let c = parse(&text).unwrap();
    let ignore = &c.config.ignores()[0];
    assert_eq!(
        (ignore.line, ignore.source.as_str()),
        (9, "camp/campaign.toml")
    );
    assert_eq!(c.config.overrides()[0].line, 6);
    // An ignore needs its reason here too.
    let err = error(&format!(
        "{MINIMAL}[[ignore]]\nrule = \"spf/ptr-mechanism\"\n"
    ));
    assert!(
        err.contains(
            "camp/campaign.toml:5: the [[ignore]] of spf/ptr-mechanism needs a non-empty `reason`"
        ),
        "{err}"
    );
    // Unused ignores of a campaign file point at its line.
    let rules = Rules::builtin().unwrap();
    let unused = mailaudit::config::unused_ignore_findings(&rules, &[ignore]);
    assert_eq!(
        unused[0].location,
        Some(Location::Line {
            file: "camp/campaign.toml".into(),
            line: 9
        })
    );
}
