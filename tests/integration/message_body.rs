//! Body analysis of drafts (SPEC §4.5), fed through `BodyInput` directly: for every rule a
//! draft that fires it and one that stays silent, postal addresses per country, merge-tag
//! syntaxes in rendered and template mode, hidden-text variants, and line locations.

use mailaudit::config::Config;
use mailaudit::finding::{Finding, Location};
use mailaudit::message::body::{Attachment, BodyAnalysis, BodyInput, BodyPart, analyze_body};
use mailaudit::message::rules::BODY_RULES as RULES;
use mailaudit::rules::Rules;

const FILE: &str = "drafts/touch-1.eml";

/// A compliant cold email: about 80 words, a reply CTA, a signature with a contact, a footer
/// with the postal address and an unsubscribe link.
const GOOD_HTML: &str = r#"<html><head><style>.x { color: red } @media (max-width:600px) { .y { display:block } }</style>
<script type="application/ld+json">{ "@context": "https://schema.org", "name": "{{x}}" }</script></head>
<body>
<p>Hi Sam,</p>
<p>I noticed Northwind is hiring three account executives this quarter. Teams that grow that
fast often lose a week per hire to onboarding, and we built Ramp to cut that to two days with
guided call reviews [1] and 100% of the playbooks your team already has.</p>
<p>Would a short call next week be useful? Just reply with a time that suits you and I will
send an invite.</p>
<p>Best,<br>Jane Doe<br>Head of Partnerships · +1 415 555 0132</p>
<hr>
<p>Acme Inc · 548 Market St #12345 · San Francisco, CA 94104</p>
<p>Not interested? <a href="https://acme.example/unsubscribe?u=42">Unsubscribe</a>.</p>
</body></html>
"#;

const GOOD_TEXT: &str = "Hi Sam,

I noticed Northwind is hiring three account executives this quarter. Teams that grow that
fast often lose a week per hire to onboarding, and we built Ramp to cut that to two days with
guided call reviews and the playbooks your team already has.

Would a short call next week be useful? Just reply with a time that suits you and I will
send an invite.

Best,
Jane Doe
Head of Partnerships · +1 415 555 0132

-- 
Acme Inc · 548 Market St #12345 · San Francisco, CA 94104
Not interested? Unsubscribe: https://acme.example/unsubscribe?u=42
";

fn rules() -> Rules {
    Rules::builtin().expect("built-in rules")
}

fn part<'a>(content_type: &'a str, text: &'a str, start_line: u32) -> BodyPart<'a> {
    BodyPart {
        content_type,
        text,
        start_line,
        lines_match_file: true,
    }
}

fn input<'a>(parts: Vec<BodyPart<'a>>) -> BodyInput<'a> {
    BodyInput {
        file: FILE,
        parts,
        attachments: Vec::new(),
        from_domain: Some("acme.example"),
        template_mode: false,
    }
}

fn both<'a>(html: &'a str, text: &'a str) -> BodyInput<'a> {
    input(vec![
        part("text/plain", text, 12),
        part("text/html; charset=utf-8", html, 40),
    ])
}

fn html_only(html: &str) -> BodyInput<'_> {
    input(vec![part("text/html", html, 10)])
}

fn text_only(text: &str) -> BodyInput<'_> {
    input(vec![part("text/plain", text, 10)])
}

fn run(input: &BodyInput<'_>) -> BodyAnalysis {
    analyze_body(input, &rules(), FILE)
}

fn with_rules(input: &BodyInput<'_>, config: &str) -> BodyAnalysis {
    let mut rules = rules();
    let config = Config::parse(config, "mailaudit.toml").expect("config parses");
    rules.apply(&config).expect("config applies");
    analyze_body(input, &rules, FILE)
}

fn ids(a: &BodyAnalysis) -> Vec<&str> {
    let mut ids: Vec<&str> = a.findings.iter().map(|f| f.rule.as_str()).collect();
    ids.dedup();
    ids
}

fn fired<'a>(a: &'a BodyAnalysis, id: &str) -> Vec<&'a Finding> {
    a.findings.iter().filter(|f| f.rule == id).collect()
}

fn line_of(f: &Finding) -> u32 {
    match &f.location {
        Some(Location::Line { file, line }) => {
            assert_eq!(file, FILE);
            *line
        }
        other => panic!("{}: no line location: {other:?}", f.rule),
    }
}

/// The good draft with `from` replaced by `to` in both parts.
fn good_with(from: &str, to: &str) -> (String, String) {
    (GOOD_HTML.replace(from, to), GOOD_TEXT.replace(from, to))
}

#[test]
fn the_good_draft_is_silent() {
    let a = run(&both(GOOD_HTML, GOOD_TEXT));
    assert!(a.findings.is_empty(), "{:#?}", a.findings);
    let f = &a.facts;
    assert!((70..=100).contains(&f.word_count), "{}", f.word_count);
    assert_eq!(f.link_count, 1);
    assert!(f.cta_targets.is_empty());
    // Scheme and host only: an unsubscribe path is usually a per-recipient token.
    assert_eq!(f.unsubscribe_links, ["https://acme.example/…"]);
    assert!(f.footer_found);
    assert_eq!(
        f.postal_address.as_deref(),
        Some("548 Market St #12345 · San Francisco, CA 94104")
    );
    assert_eq!(f.sender_identity.as_deref(), Some("Acme Inc"));
    assert_eq!(f.sender_contact.as_deref(), Some("phone"));
    assert!(f.has_text_part && f.has_html_part);
    assert_eq!(f.html_bytes, GOOD_HTML.len());
    assert_eq!(f.image_count, 0);
    assert!(f.merge_tags.is_empty(), "{:?}", f.merge_tags);
    let json = serde_json::to_value(f).unwrap();
    assert!(json.get("word_count").is_some());
}

#[test]
fn every_rule_is_listed_once() {
    let mut sorted = RULES.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), RULES.len());
    for id in RULES {
        assert!(rules().get(id).is_some(), "{id} has no rule data");
    }
}

// ---------------------------------------------------------------- opt-out

#[test]
fn no_opt_out_fires_without_link_or_wording() {
    let (h, t) = good_with("Not interested? ", "");
    let (h, t) = (
        h.replace(
            r#"<a href="https://acme.example/unsubscribe?u=42">Unsubscribe</a>."#,
            "Thanks.",
        ),
        t.replace(
            "Unsubscribe: https://acme.example/unsubscribe?u=42",
            "Thanks.",
        ),
    );
    let a = run(&both(&h, &t));
    let f = fired(&a, "body/no-opt-out");
    assert_eq!(f.len(), 1, "{:#?}", a.findings);
    assert_eq!(line_of(f[0]), 40, "located at the primary (HTML) part");
    assert!(a.facts.opt_out.is_none());
}

#[test]
fn no_opt_out_fires_for_the_part_that_lacks_it() {
    let t = GOOD_TEXT.replace(
        "Not interested? Unsubscribe: https://acme.example/unsubscribe?u=42",
        "",
    );
    let a = run(&both(GOOD_HTML, &t));
    let f = fired(&a, "body/no-opt-out");
    assert_eq!(f.len(), 1);
    assert!(f[0].message.contains("text/plain"), "{}", f[0].message);
    assert_eq!(line_of(f[0]), 12);
}

#[test]
fn reply_based_opt_outs_in_several_languages_count() {
    for line in [
        "If you'd rather not hear from me, just reply and I won't email you again.",
        "Reply \u{201c}STOP\u{201d} to opt-out.",
        "Si no deseas recibir más correos, responde y te daré de baja: darse de baja.",
        "Pour ne plus recevoir nos e-mails, cliquez ici pour vous désabonner.",
        "Wenn Sie keine E-Mails mehr erhalten möchten, können Sie sich hier abmelden.",
        "Clique aqui para descadastrar.",
        "Per non ricevere più email, disiscriviti qui.",
        "Klik hier om je af te melden of uitschrijven.",
    ] {
        let text = format!("Hi Sam,\n\nA short note.\n\n{line}\n");
        let a = run(&text_only(&text));
        assert!(fired(&a, "body/no-opt-out").is_empty(), "{line}");
    }
}

#[test]
fn unsubscribe_urls_and_mailto_count() {
    for html in [
        r#"<p>Hi</p><p><a href="https://x.example/u/abmelden?id=1">Hier</a></p>"#,
        r#"<p>Hi</p><p><a href="mailto:leave@acme.example?subject=unsubscribe">Email us</a></p>"#,
        r#"<p>Hi</p><p><a href="https://x.example/p">Manage preferences</a></p>"#,
    ] {
        let a = run(&html_only(html));
        assert!(fired(&a, "body/no-opt-out").is_empty(), "{html}");
        assert_eq!(a.facts.unsubscribe_links.len(), 1, "{html}");
    }
}

#[test]
fn template_mode_counts_platform_unsubscribe_tokens() {
    for token in [
        "{{unsubscribe_link}}",
        "{{ unsubscribe_link }}",
        "*|UNSUB|*",
        "%unsubscribe_url%",
        "{% unsubscribe_link %}",
        "{% unsubscribe 'click here' %}",
        "[unsubscribe]",
        "{{{unsubscribe}}}",
    ] {
        let html = format!("<p>Hi there, a short note.</p><p><a href=\"{token}\">here</a></p>");
        let mut i = html_only(&html);
        let rendered = run(&i);
        assert_eq!(
            fired(&rendered, "body/no-opt-out").len(),
            1,
            "{token} rendered"
        );
        i.template_mode = true;
        let template = run(&i);
        assert!(
            fired(&template, "body/no-opt-out").is_empty(),
            "{token} template"
        );
        // Also as text.
        let text = format!("Hi,\n\nTo stop: {token}\n");
        let mut i = text_only(&text);
        i.template_mode = true;
        assert!(
            fired(&run(&i), "body/no-opt-out").is_empty(),
            "{token} in text"
        );
    }
}

// ---------------------------------------------------------------- postal address

fn address_fires(address: &str) -> bool {
    let text = format!(
        "Hi Sam,\n\nA short note about onboarding.\n\nBest,\nJane Doe\n\n-- \nAcme · {address}\nUnsubscribe: https://acme.example/u\n"
    );
    let a = run(&text_only(&text));
    !fired(&a, "body/no-postal-address").is_empty()
}

#[test]
fn postal_addresses_of_each_country_are_found() {
    for address in [
        // United States
        "548 Market St #12345, San Francisco, CA 94104",
        "1600 Amphitheatre Parkway, Mountain View, CA 94043-1351",
        "PO Box 1234, Springfield, IL 62701",
        "350 5th Avenue, New York, New York 10118",
        // United Kingdom
        "10 Downing Street, London SW1A 2AA",
        "221B Baker Street, London NW1 6XE",
        "Unit 4, Riverside House, Leeds LS1 4AB",
        // Canada
        "80 Wellington St, Ottawa, ON K1A 0B1",
        "1000 rue Sherbrooke Ouest, Montréal (Québec) H3A 3G4",
        "PO Box 200, Vancouver, British Columbia V6B 3K9",
        // Germany
        "Musterstraße 12, 10115 Berlin",
        "Berliner Str. 5, D-60311 Frankfurt am Main",
        "Postfach 10 20 30, 80333 München",
        // France
        "12 rue de la Paix, 75002 Paris",
        "45 bd Haussmann, 75009 Paris",
        "BP 123, 69001 Lyon",
        // Australia
        "Level 5, 100 Pitt Street, Sydney NSW 2000",
        "GPO Box 9, Melbourne VIC 3001",
        // Others
        "Keizersgracht 123, 1015 CJ Amsterdam",
        "Calle de Alcalá, 45, 28014 Madrid",
        "Via Roma 10, 00184 Roma",
    ] {
        assert!(!address_fires(address), "not found: {address}");
    }
}

#[test]
fn near_misses_are_not_addresses() {
    for not_address in [
        "+1 (415) 555-0132",
        "Call 0800 123 4567 between 9 and 5",
        "March 12, 2024",
        "2024-03-12 and 12/03/2024",
        "Meeting on 12 May 2024 in Berlin",
        "10 Main St",
        "10115 Berlin",
        "75002 Paris",
        "Join 10000 Marketers",
        "SW1A",
        "NSW",
        "Version 2.0 and 3 Big Ideas",
        "Order 12345",
    ] {
        assert!(
            address_fires(not_address),
            "taken for an address: {not_address}"
        );
    }
}

#[test]
fn template_address_tokens_count_in_template_mode() {
    let html =
        "<p>Hi, a note.</p><p>*|LIST:ADDRESSLINE|* · <a href=\"*|UNSUB|*\">Unsubscribe</a></p>";
    let mut i = html_only(html);
    assert_eq!(fired(&run(&i), "body/no-postal-address").len(), 1);
    i.template_mode = true;
    let a = run(&i);
    assert!(
        fired(&a, "body/no-postal-address").is_empty(),
        "{:#?}",
        a.findings
    );
    assert_eq!(
        a.facts.postal_address.as_deref(),
        Some("*|LIST:ADDRESSLINE|*")
    );
}

// ---------------------------------------------------------------- structure

#[test]
fn no_text_part() {
    let a = run(&html_only(GOOD_HTML));
    let f = fired(&a, "body/no-text-part");
    assert_eq!(f.len(), 1);
    assert_eq!(line_of(f[0]), 10);
    assert!(fired(&run(&both(GOOD_HTML, GOOD_TEXT)), "body/no-text-part").is_empty());
    assert!(fired(&run(&text_only(GOOD_TEXT)), "body/no-text-part").is_empty());
}

#[test]
fn html_too_large() {
    let big = GOOD_HTML.replace("<hr>", &format!("<!-- {} --><hr>", "x".repeat(110_000)));
    let a = run(&both(&big, GOOD_TEXT));
    let f = fired(&a, "body/html-too-large");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].evidence.threshold, Some(serde_json::json!(104448.0)));
    assert!(fired(&run(&both(GOOD_HTML, GOOD_TEXT)), "body/html-too-large").is_empty());
}

#[test]
fn word_count_range() {
    let short = "Hi Sam, quick question: are you hiring?\n\nBest, Jane Doe · Acme Inc · +1 415 555 0132\n548 Market St, San Francisco, CA 94104 · reply stop to opt out\n";
    let a = run(&text_only(short));
    let f = fired(&a, "body/word-count");
    assert_eq!(f.len(), 1, "{:#?}", a.findings);
    assert!(f[0].message.contains("under"), "{}", f[0].message);
    assert_eq!(f[0].evidence.threshold, Some(serde_json::json!(50.0)));

    let long_text = GOOD_TEXT.replace(
        "Would a short call",
        &"We also help with hiring plans and territory design. ".repeat(12),
    );
    let a = run(&text_only(&long_text));
    let f = fired(&a, "body/word-count");
    assert_eq!(f.len(), 1);
    assert!(f[0].message.contains("over"));

    // A profile (rule override) widens the range.
    let a = with_rules(
        &text_only(&long_text),
        "[rules.\"body/word-count\"]\nthresholds = { max = 400 }\n",
    );
    assert!(fired(&a, "body/word-count").is_empty());
    // A rule switched off is not checked.
    let a = with_rules(
        &text_only(short),
        "[rules.\"body/word-count\"]\nseverity = \"off\"\n",
    );
    assert!(fired(&a, "body/word-count").is_empty());
}

#[test]
fn words_are_counted_from_visible_text() {
    let html = "<html><head><title>Title words here</title></head><body><p>One&nbsp;two</p><div>three</div>\
                <span style=\"display:none\">hidden hidden hidden</span><td>four</td>five — | six</body></html>";
    assert_eq!(run(&html_only(html)).facts.word_count, 6);
}

// ---------------------------------------------------------------- links

fn links_html(links: &[&str]) -> String {
    let mut body = String::from("<p>Hi Sam, ");
    body.push_str(&"a sentence of filler words to make the body long enough here. ".repeat(6));
    body.push_str("</p>");
    for l in links {
        body.push_str(&format!("<p><a href=\"{l}\">link</a></p>\n"));
    }
    body.push_str(GOOD_HTML.split("<hr>").nth(1).unwrap_or(""));
    body
}

#[test]
fn too_many_links() {
    let html = links_html(&[
        "https://acme.example/a",
        "https://acme.example/b",
        "https://acme.example/c",
        "mailto:jane@acme.example",
        "tel:+14155550132",
        "#top",
    ]);
    let a = run(&both(&html, GOOD_TEXT));
    // 3 web links + the unsubscribe link.
    assert_eq!(a.facts.link_count, 4);
    let f = fired(&a, "body/too-many-links");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].evidence.measured, Some(serde_json::json!(4)));
    let html = links_html(&["https://acme.example/a", "mailto:jane@acme.example"]);
    assert!(fired(&run(&both(&html, GOOD_TEXT)), "body/too-many-links").is_empty());
}

#[test]
fn link_density() {
    let text = "Hi, see https://acme.example/a and https://acme.example/b today.\nJane Doe, Acme Inc, 548 Market St, San Francisco, CA 94104. Reply stop to opt out.\n";
    let a = run(&text_only(text));
    assert_eq!(fired(&a, "body/link-density").len(), 1, "{:#?}", a.findings);
    assert!(fired(&run(&both(GOOD_HTML, GOOD_TEXT)), "body/link-density").is_empty());
}

#[test]
fn multiple_ctas() {
    let html = links_html(&[
        "https://cal.example/jane",
        "https://acme.example/case-study?utm=1",
    ]);
    let a = run(&both(&html, GOOD_TEXT));
    let f = fired(&a, "body/multiple-ctas");
    assert_eq!(f.len(), 1, "{:#?}", a.findings);
    assert_eq!(
        a.facts.cta_targets,
        ["cal.example/jane", "acme.example/case-study"]
    );
    // The same page twice (query, trailing slash, www.) and footer links are one target.
    let html = links_html(&[
        "https://cal.example/jane",
        "https://www.cal.example/jane/?utm_source=x",
    ]);
    let a = run(&both(&html, GOOD_TEXT));
    assert!(
        fired(&a, "body/multiple-ctas").is_empty(),
        "{:?}",
        a.facts.cta_targets
    );
}

#[test]
fn url_shortener() {
    let html = links_html(&["https://bit.ly/3xYz"]);
    let a = run(&both(&html, GOOD_TEXT));
    let f = fired(&a, "body/url-shortener");
    assert_eq!(f.len(), 1);
    assert!(f[0].message.contains("bit.ly"));
    let html = links_html(&["https://notbit.ly.example/x", "https://acme.example/bit.ly"]);
    assert!(fired(&run(&both(&html, GOOD_TEXT)), "body/url-shortener").is_empty());
}

#[test]
fn insecure_link() {
    let html = links_html(&["http://acme.example/pricing"]);
    let a = run(&both(&html, GOOD_TEXT));
    assert_eq!(fired(&a, "body/insecure-link").len(), 1);
    let text = "Hi,\nhttp://acme.example/x\n";
    assert_eq!(fired(&run(&text_only(text)), "body/insecure-link").len(), 1);
    assert!(fired(&run(&both(GOOD_HTML, GOOD_TEXT)), "body/insecure-link").is_empty());
    // A bare www. address in plain text is not flagged.
    assert!(
        fired(
            &run(&text_only("See www.acme.example\n")),
            "body/insecure-link"
        )
        .is_empty()
    );
}

#[test]
fn link_text_mismatch() {
    let html = r#"<p>Log in at <a href="https://evil.example/login">https://www.paypal.com/signin</a></p>
<p><a href="https://click.mailer.example/c/1">acme.example</a></p>"#;
    let a = run(&html_only(html));
    let f = fired(&a, "body/link-text-mismatch");
    assert_eq!(f.len(), 2, "{:#?}", a.findings);
    assert!(f[0].message.contains("paypal.com"));
    assert_eq!(f[0].severity, mailaudit::finding::Severity::Error);
    let html = r#"<p><a href="https://acme.example/x">www.acme.example</a>
<a href="https://go.acme.co.uk/x">acme.co.uk</a> <a href="https://x.example/r.pdf">report.pdf</a>
<a href="https://x.example">Click here</a> <a href="mailto:jo@acme.example">jo@acme.example</a></p>"#;
    let a = run(&html_only(html));
    assert!(
        fired(&a, "body/link-text-mismatch").is_empty(),
        "{:#?}",
        a.findings
    );
}

// ---------------------------------------------------------------- images and hidden text

#[test]
fn image_only() {
    let html = r#"<p><img src="https://acme.example/promo.png" alt="Big sale on everything today"></p><p>Click here</p>
<img src="https://t.example/o.gif" width="1" height="1">"#;
    let a = run(&html_only(html));
    assert_eq!(fired(&a, "body/image-only").len(), 1);
    assert_eq!(a.facts.image_count, 1);
    let with_text = GOOD_HTML.replace("<hr>", "<img src=\"https://acme.example/logo.png\"><hr>");
    assert!(fired(&run(&both(&with_text, GOOD_TEXT)), "body/image-only").is_empty());
    // A tracking pixel alone is not an image.
    let pixel = GOOD_HTML.replace(
        "<hr>",
        "<img src=\"https://t.example/o.gif\" width=\"1\" height=\"1\"><hr>",
    );
    let a = run(&both(&pixel, GOOD_TEXT));
    assert_eq!(a.facts.image_count, 0);
}

fn hidden_findings(fragment: &str) -> Vec<Finding> {
    let html = GOOD_HTML.replace("<hr>", &format!("{fragment}\n<hr>"));
    let a = run(&both(&html, GOOD_TEXT));
    fired(&a, "body/hidden-text").into_iter().cloned().collect()
}

#[test]
fn hidden_text_variants_fire() {
    for (fragment, reason) in [
        (
            r#"<div style="display:none">cheap pills free offer</div>"#,
            "display:none",
        ),
        (
            r#"<div style="DISPLAY: none !important">cheap pills</div>"#,
            "display:none",
        ),
        (
            r#"<span style="visibility:hidden">cheap pills</span>"#,
            "visibility:hidden",
        ),
        (r#"<p style="font-size:0">cheap pills</p>"#, "font-size:0"),
        (
            r#"<p style="font-size:0px;line-height:0">cheap pills</p>"#,
            "font-size:0",
        ),
        (
            r#"<p style="color:#ffffff">cheap pills</p>"#,
            "text colour equals the background",
        ),
        (
            r#"<p style="color:white;background-color:#fff">cheap pills</p>"#,
            "text colour equals the background",
        ),
        (
            r##"<table bgcolor="#000000"><tr><td><font color="#010101">cheap pills</font></td></tr></table>"##,
            "text colour equals the background",
        ),
        (r#"<div hidden>cheap pills</div>"#, "the hidden attribute"),
        (r#"<div style="opacity:0">cheap pills</div>"#, "opacity:0"),
        (
            r#"<div style="max-height:0;overflow:hidden">cheap pills</div>"#,
            "zero size with overflow:hidden",
        ),
    ] {
        let f = hidden_findings(fragment);
        assert_eq!(f.len(), 1, "{fragment}: {f:#?}");
        assert!(
            f[0].message.contains(reason),
            "{fragment}: {}",
            f[0].message
        );
        assert!(f[0].message.contains("cheap pills"));
    }
}

#[test]
fn visible_and_preheader_text_is_silent() {
    for fragment in [
        r##"<table bgcolor="#000000"><tr><td style="color:#ffffff">white on black</td></tr></table>"##,
        r#"<div style="font-size:0"><span style="font-size:14px">column</span></div>"#,
        r#"<div style="visibility:hidden"><span style="visibility:visible">shown</span></div>"#,
        r#"<td style="font-size:0;line-height:0">&nbsp;&zwnj;</td>"#,
        r#"<a style="color:#fff" href="https://x.example/u/unsubscribe"><span style="background:url(b.png)">btn</span></a>"#,
        r#"<p style="color:#333333">dark grey on white</p>"#,
    ] {
        let f = hidden_findings(fragment);
        assert!(f.is_empty(), "{fragment}: {f:#?}");
    }
    // The preview text at the very start of the body is hidden by design.
    let html = GOOD_HTML.replace(
        "<body>",
        "<body><div style=\"display:none;max-height:0;mso-hide:all\">Quick question about onboarding&zwnj;&nbsp;&zwnj;</div>",
    );
    let a = run(&both(&html, GOOD_TEXT));
    assert!(
        fired(&a, "body/hidden-text").is_empty(),
        "{:#?}",
        a.findings
    );
    assert_eq!(a.facts.hidden_text_blocks, 1);
}

#[test]
fn hidden_text_location_and_snippet() {
    let html = "<p>Hello there</p>\n\n<div style=\"display:none\">\nsecret stuff that goes on and on and on for a long while more</div>";
    let a = run(&html_only(html));
    let f = fired(&a, "body/hidden-text");
    assert_eq!(f.len(), 1);
    assert_eq!(
        line_of(f[0]),
        12,
        "part starts at 10, the text on its third line"
    );
    assert!(f[0].message.contains('…'), "{}", f[0].message);
    assert!(
        f[0].message.len() < 120,
        "evidence is a short snippet: {}",
        f[0].message
    );
}

// ---------------------------------------------------------------- merge tags

fn rendered_tags(body: &str) -> Vec<String> {
    let a = run(&text_only(body));
    fired(&a, "body/unresolved-merge-tag")
        .iter()
        .map(|f| f.evidence.record.clone().unwrap_or_default())
        .collect()
}

#[test]
fn unresolved_merge_tags_in_rendered_mode() {
    for (body, tag) in [
        ("Hi {{first_name}},", "{{first_name}}"),
        ("Hi {FIRST_NAME},", "{FIRST_NAME}"),
        ("Hi %FIRSTNAME%,", "%FIRSTNAME%"),
        ("Hi *|FNAME|*,", "*|FNAME|*"),
        ("Hi [First Name],", "[First Name]"),
        (
            "Hi [[MISSING TOKEN first_name]],",
            "[[MISSING TOKEN first_name]]",
        ),
        ("Hi ##FirstName##,", "##FirstName##"),
        ("{Hi|Hello|Hey} Sam,", "{Hi|Hello|Hey}"),
        ("Hi %%FirstName%%,", "%%FirstName%%"),
        ("Hi <<First name>>,", "<<First name>>"),
    ] {
        assert_eq!(rendered_tags(body), [tag], "{body}");
    }
    let unbalanced = rendered_tags("{Hi|Hello Sam, how are you");
    assert_eq!(unbalanced.len(), 1);
    assert!(unbalanced[0].starts_with("{Hi|Hello"));
}

#[test]
fn no_false_merge_tags() {
    for body in [
        "See the footnote [1] and [2].",
        "We grew 100% last year; 50% of teams.",
        "[PDF] The annual report",
        "Use C# or F#; ## is a heading marker.",
        "Back << to the list",
        "{ not: a tag }",
    ] {
        assert!(
            rendered_tags(body).is_empty(),
            "{body}: {:?}",
            rendered_tags(body)
        );
    }
    // CSS in <style>, JSON-LD in <script> and inline styles are never read.
    let a = run(&both(GOOD_HTML, GOOD_TEXT));
    assert!(fired(&a, "body/unresolved-merge-tag").is_empty());
    // Percent-encoding in links is not a tag.
    let html = links_html(&["https://acme.example/caf%C3%A9t%C3%A9?q=%E2%80%99"]);
    let a = run(&both(&html, GOOD_TEXT));
    assert!(
        fired(&a, "body/unresolved-merge-tag").is_empty(),
        "{:#?}",
        a.findings
    );
}

#[test]
fn merge_tags_in_links_and_hidden_text_are_found() {
    let html = r#"<div style="display:none">Hi {{first_name}}</div><p>Hello</p><p><a href="https://acme.example/?e=*|EMAIL|*">Go</a></p>"#;
    let a = run(&html_only(html));
    let tags: Vec<String> = fired(&a, "body/unresolved-merge-tag")
        .iter()
        .map(|f| f.evidence.record.clone().unwrap())
        .collect();
    assert_eq!(tags, ["{{first_name}}", "*|EMAIL|*"]);
    assert_eq!(a.facts.merge_tags, ["{{first_name}}", "*|EMAIL|*"]);
}

#[test]
fn merge_tag_lines_follow_the_file() {
    let body = "Hi,\n\nsecond\nthird {{company}}\n";
    let a = run(&input(vec![part("text/plain", body, 20)]));
    assert_eq!(line_of(fired(&a, "body/unresolved-merge-tag")[0]), 23);
    // A quoted-printable or base64 part: lines do not match, the part's start is used.
    let mut p = part("text/plain", body, 20);
    p.lines_match_file = false;
    let a = run(&input(vec![p]));
    assert_eq!(line_of(fired(&a, "body/unresolved-merge-tag")[0]), 20);
    // HTML: the line of the text in the part.
    let html = "<p>a</p>\n<p>b</p>\n<p>Hi {{first_name}}</p>";
    let a = run(&input(vec![part("text/html", html, 5)]));
    assert_eq!(line_of(fired(&a, "body/unresolved-merge-tag")[0]), 7);
}

fn template(body: &str) -> BodyAnalysis {
    let mut i = text_only(body);
    i.template_mode = true;
    run(&i)
}

#[test]
fn template_mode_checks_tags_instead() {
    let a = template(
        "Hi {{first_name | default: \"there\"}},\n\nReply stop to opt out: {{unsubscribe_link}}\n",
    );
    assert!(fired(&a, "body/unresolved-merge-tag").is_empty());
    assert!(fired(&a, "template/merge-tag-syntax").is_empty());
    assert!(fired(&a, "template/mixed-syntax").is_empty());
    assert!(
        fired(&a, "template/no-fallback").is_empty(),
        "{:#?}",
        a.findings
    );
}

#[test]
fn template_merge_tag_syntax() {
    for body in [
        "Hi {{first_name}, welcome",
        "Hi {{first_name}}}",
        "Hi *|FNAME| there",
        "Hi {{}}",
        "{Hi|Hello there, how are you",
    ] {
        let a = template(body);
        assert_eq!(
            fired(&a, "template/merge-tag-syntax").len(),
            1,
            "{body}: {:#?}",
            a.findings
        );
    }
    assert!(
        fired(
            &template("Hi {{first_name|default:'x'}} {Hi|Hello}"),
            "template/merge-tag-syntax"
        )
        .is_empty()
    );
}

#[test]
fn template_mixed_syntax() {
    let a = template("Hi *|FNAME|*,\n\nbye {{unsubscribe_link}}\n");
    let f = fired(&a, "template/mixed-syntax");
    assert_eq!(f.len(), 1);
    assert!(
        f[0].message.contains("mailchimp") && f[0].message.contains("liquid"),
        "{}",
        f[0].message
    );
    assert_eq!(line_of(f[0]), 12);
    assert!(
        fired(
            &template("{{first_name}} {% if x %}y{% endif %} {{{unsubscribe}}}"),
            "template/mixed-syntax"
        )
        .is_empty()
    );
}

#[test]
fn template_no_fallback() {
    for (body, fires) in [
        ("Hi {{first_name}},", true),
        ("Hi {{ contact.FIRSTNAME }},", true),
        ("Hi *|FNAME|*,", true),
        ("Hi %FIRSTNAME%,", true),
        ("Hi [firstname,fallback=],", true),
        ("Hi {{first_name|default:\"there\"}},", false),
        ("Hi {{ first_name | default: 'there' }},", false),
        ("Hi [firstname,fallback=there],", false),
        ("Hi {FirstName|there},", false),
        (
            "{{#if first_name}}Hi {{first_name}}{{else}}Hi there{{/if}},",
            false,
        ),
        ("*|IF:FNAME|*Hi *|FNAME|**|ELSE:|*Hi*|END:IF|*", false),
        ("Your order {{order_id}} shipped", false),
    ] {
        let a = template(body);
        assert_eq!(
            !fired(&a, "template/no-fallback").is_empty(),
            fires,
            "{body}: {:#?}",
            a.findings
        );
        assert_eq!(
            fired(&a, "template/no-fallback")
                .first()
                .map(|f| f.severity),
            fires.then_some(mailaudit::finding::Severity::Warning)
        );
    }
}

// ---------------------------------------------------------------- sender identity, attachments

#[test]
fn no_sender_identity() {
    let text = "Hi Sam,\n\nA short note about onboarding. Would a call help?\n\nThanks!\n\n-- \n548 Market St, San Francisco, CA 94104\nReply stop to opt out.\n";
    let mut i = text_only(text);
    i.from_domain = Some("gmail.com");
    let a = run(&i);
    let f = fired(&a, "body/no-sender-identity");
    assert_eq!(f.len(), 1, "{:#?}", a.findings);
    assert!(f[0].message.contains("names no sender"));

    // Named, but no contact: CASL wants one, unless the profile does not require it.
    let named = text.replace("Thanks!", "Best,\nJane Doe");
    let mut i = text_only(&named);
    i.from_domain = Some("gmail.com");
    let f = run(&i);
    let f = fired(&f, "body/no-sender-identity");
    assert_eq!(f.len(), 1);
    assert!(f[0].message.contains("Jane Doe") && f[0].message.contains("contact"));
    let a = with_rules(
        &i,
        "[rules.\"body/no-sender-identity\"]\nthresholds = { require_contact = 0 }\n",
    );
    assert!(fired(&a, "body/no-sender-identity").is_empty());

    // The From domain's name counts as the sender; a web address as the contact.
    let branded = text.replace("Thanks!", "The Acme team · www.acme.example");
    let a = run(&text_only(&branded));
    assert!(
        fired(&a, "body/no-sender-identity").is_empty(),
        "{:#?}",
        a.findings
    );
    assert_eq!(a.facts.sender_identity.as_deref(), Some("Acme"));
}

#[test]
fn attachments() {
    let mut i = both(GOOD_HTML, GOOD_TEXT);
    i.attachments.push(Attachment {
        filename: Some("Acme-deck.pdf"),
        content_type: "application/pdf",
        size: 2 * 1024 * 1024,
    });
    let a = run(&i);
    let f = fired(&a, "body/attachment");
    assert_eq!(f.len(), 1);
    assert!(f[0].message.contains("Acme-deck.pdf"));
    assert_eq!(
        f[0].location,
        Some(Location::Header("Content-Disposition".into()))
    );
    assert_eq!(a.facts.attachment_count, 1);
    assert!(fired(&run(&both(GOOD_HTML, GOOD_TEXT)), "body/attachment").is_empty());
}

#[test]
fn an_empty_input_does_not_panic_and_reports_the_missing_body() {
    let a = run(&input(Vec::new()));
    let rules = ids(&a);
    assert!(rules.contains(&"body/no-opt-out"));
    assert!(rules.contains(&"body/word-count"));
    assert_eq!(a.facts.word_count, 0);
    // Other content types are ignored.
    let a = run(&input(vec![part("text/calendar", "BEGIN:VCALENDAR", 3)]));
    assert!(!a.facts.has_text_part && !a.facts.has_html_part);
}

#[test]
fn findings_carry_rule_data() {
    let a = run(&html_only("<p>{{first_name}}</p>"));
    for f in &a.findings {
        let meta = rules().get(&f.rule).cloned().expect("rule data");
        assert_eq!(f.help, meta.help);
        assert_eq!(f.reference, meta.reference);
        assert_eq!(f.target, FILE);
        assert!(f.location.is_some(), "{} has no location", f.rule);
    }
}

#[test]
fn evidence_never_carries_the_body() {
    let secret = "confidential-body-words ".repeat(200);
    let html = format!(
        "<p>{{{{first_name}}}} {secret}</p><div style=\"display:none\">{secret}</div><p><a href=\"http://bit.ly/x?email=reader@example.com\">https://paypal.com</a></p>"
    );
    let a = run(&html_only(&html));
    for f in &a.findings {
        let all = format!("{} {:?} {}", f.message, f.evidence.record, f.help);
        assert!(all.len() < 600, "{}: {all}", f.rule);
        assert!(
            !all.contains("reader@example.com"),
            "{}: query leaked: {all}",
            f.rule
        );
    }
    let facts = serde_json::to_string(&a.facts).unwrap();
    assert!(!facts.contains("reader@example.com"), "{facts}");
    assert!(facts.len() < 2000, "{facts}");
}
