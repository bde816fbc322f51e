//! Finding a physical postal address in the body text (CAN-SPAM 15 U.S.C. 7704(a)(5)(A)(iii)).
//!
//! An address is recognised from its parts (in Latin script: the patterns use the Latin-1 and
//! Latin Extended-A letters, which keeps them fast):
//! - a street line: house number and street word in English-speaking countries
//!   ("548 Market St", "10 Downing Street", "100 Pitt Street"), number and street word in
//!   France ("12 rue de la Paix", "45 bd Haussmann"), street name and number in Germany,
//!   Austria, Switzerland, the Netherlands and the Nordics ("Musterstraße 12",
//!   "Berliner Str. 5", "Keizersgracht 123"), street word, name and number in Spain, Italy and
//!   Portugal ("Calle de Alcalá, 45", "Via Roma 10", "Rua Augusta, 1500");
//! - a post-office box: "PO Box 1234", "Postfach 10 20 30", "BP 123", "Boîte postale 45",
//!   "Apartado de correos 12", "Caixa Postal 9", "Casella postale 7", "Postbus 100",
//!   "GPO Box 12", "PMB 123";
//! - a town line with a postcode. Strong forms, each specific to one country, count on their
//!   own: US "City, ST 12345(-6789)" with a real state code, UK "Town SW1A 1AA", Canada
//!   "City, ON K1A 0B1" (province and postcode), Australia "Sydney NSW 2000". Weak forms
//!   ("10115 Berlin", "75002 Paris", "1012 AB Amsterdam", "8001 Zürich") count only when a
//!   street line or a PO box stands at most [`WINDOW`] bytes before them, since a number
//!   followed by a capitalised word is common in ordinary text.
//!
//! An address is found when there is a strong town line, or a street line or PO box followed
//! within the window by a town line (strong or weak). A street line alone ("10 Main St") or a
//! weak town line alone is not a postal address. Phone numbers, dates and prices do not match
//! any of the forms.

use regex::Regex;
use std::sync::LazyLock;

/// Bytes between the end of a street line or PO box and the start of its town line.
pub(crate) const WINDOW: usize = 100;

static STREETS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    let en_types = "Street|St|Avenue|Ave|Av|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Way|Court|Ct|\
        Place|Pl|Square|Sq|Terrace|Ter|Parkway|Pkwy|Highway|Hwy|Circle|Cir|Trail|Crescent|Cres|\
        Close|Row|Plaza|Alley|Walk|Grove|Gardens|Mews|Parade|Pde|Esplanade|Loop|Pike|Broadway|\
        Freeway|Expressway|Turnpike|Hill|Green|Quay|Wharf|Yard";
    let fr_types = "rue|avenue|av\\.|boulevard|bd|bld|place|allée|allee|chemin|impasse|quai|cours|\
        route|square|passage|voie|faubourg|rond-point|esplanade|promenade|sentier";
    let de_suffix = "straße|strasse|str\\.|weg|allee|platz|gasse|ring|damm|ufer|chaussee|steig|\
        pfad|markt|graben|gracht|laan|straat|plein|kade|singel|dijk|vej|gatan|gata|gade|veien|vegen|\
        väg|vägen|tie|katu";
    let de_words = "Straße|Strasse|Str\\.|Weg|Allee|Platz|Gasse|Ring|Damm|Ufer|Chaussee";
    let south_types = "Calle|C/|Avenida|Avda\\.?|Av\\.|Paseo|Plaza|Pza\\.|Carrera|Camino|Ronda|\
        Travesía|Via|Viale|Piazza|Piazzale|Corso|Largo|Vicolo|Rua|Praça|Travessa|Alameda|\
        Estrada|Rodovia|Passeig|Carrer|Rambla";
    let letter = "A-Za-zÀ-ÖØ-öø-ÿĀ-ž";
    let upper = "A-ZÀ-ÖØ-Þ";
    let patterns = [
        // English: number, 1-4 capitalised words, street type
        format!(
            r"(?-u:\b)[0-9]{{1,5}}[A-Za-z]?(?:[-–/][0-9]{{1,5}}[A-Za-z]?)?,?[ \t]+(?:(?:[NSEW]\.?|North|South|East|West)[ \t]+)?(?:(?:[{upper}][{letter}0-9'’.\-]*|[0-9]{{1,3}}(?:st|nd|rd|th))[ \t]+){{1,4}}(?:{en_types})(?-u:\b)\.?"
        ),
        // French: number, optional bis/ter, street type, a name
        format!(
            r"(?-u:\b)[0-9]{{1,4}}(?:[ \t]?(?:bis|ter|quater|[A-Da-d])(?-u:\b))?,?[ \t]+(?i:{fr_types})[ \t]+[{letter}][{letter}'’\-]*"
        ),
        // German, Dutch, Nordic: compound street name and number, or name and street word
        format!(
            r"[{upper}][{letter}\-]*(?:{de_suffix})[ \t]+[0-9]{{1,4}}(?:[ \t]?[a-zA-Z])?(?-u:\b)|[{upper}][{letter}\-]+[ \t]+(?:{de_words})[ \t]+[0-9]{{1,4}}(?:[ \t]?[a-zA-Z])?(?-u:\b)"
        ),
        // Spanish, Italian, Portuguese, Catalan: street type, name, number
        format!(
            r"(?-u:\b)(?:{south_types})[ \t]+(?:[{letter}][{letter}'’.\-]*[ \t]+){{0,5}}[{letter}][{letter}'’.\-]*,?[ \t]+(?:n[º°o.]?[ \t]*)?[0-9]{{1,5}}(?-u:\b)"
        ),
    ];
    patterns
        .iter()
        .map(|p| Regex::new(p).expect("valid street regex"))
        .collect()
});

static PO_BOX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?i:(?-u:\b)(?:p\.?[\ \t]?o\.?[\ \t]?box|post[\ \t]+office[\ \t]+box|gpo[\ \t]+box|locked[\ \t]+bag|
            postfach|boîte[\ \t]+postale|boite[\ \t]+postale|apartado(?:[\ \t]+de[\ \t]+correos)?|
            caixa[\ \t]+postal|casella[\ \t]+postale|postbus|postboks))
        \.?[\ \t]*:?[\ \t]*[0-9]{1,7}(?:[\ \t][0-9]{2,4}){0,3}(?-u:\b)
        |
        (?-u:\b)(?:B\.P\.|BP|PMB)[\ \t]+[0-9]{1,6}(?-u:\b)
        ",
    )
    .expect("valid PO box regex")
});

const US_STATES: &str = "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|\
    MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR|VI|GU|AS|MP";
const US_STATE_NAMES: &str = "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|\
    Delaware|Florida|Georgia|Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|\
    Maryland|Massachusetts|Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|\
    New[\\ \\t]+Hampshire|New[\\ \\t]+Jersey|New[\\ \\t]+Mexico|New[\\ \\t]+York|North[\\ \\t]+Carolina|\
    North[\\ \\t]+Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|Rhode[\\ \\t]+Island|South[\\ \\t]+Carolina|\
    South[\\ \\t]+Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|West[\\ \\t]+Virginia|\
    Wisconsin|Wyoming";
const CA_PROVINCES: &str = "AB|BC|MB|NB|NL|NS|NT|NU|ON|PE|QC|SK|YT|Alberta|British[\\ \\t]+Columbia|\
    Manitoba|New[\\ \\t]+Brunswick|Newfoundland(?:[\\ \\t]+and[\\ \\t]+Labrador)?|Nova[\\ \\t]+Scotia|\
    Ontario|Prince[\\ \\t]+Edward[\\ \\t]+Island|Qu[eé]bec|Saskatchewan|Yukon|Nunavut|\
    Northwest[\\ \\t]+Territories";

/// Town lines that identify their country on their own, as one alternation: its leftmost
/// match is the earliest town line of any country (at one position, the first form listed
/// wins), found in one pass over the text.
static STRONG_TOWNS: LazyLock<Regex> = LazyLock::new(|| {
    let city = r"[A-ZÀ-ÖØ-Þ][A-Za-zÀ-ÖØ-öø-ÿĀ-ž.'’\-]*(?:[ \t]+[A-ZÀ-ÖØ-Þ][A-Za-zÀ-ÖØ-öø-ÿĀ-ž.'’\-]*){0,3}";
    let patterns = [
        // United States: City, ST 12345 or 12345-6789 (comma optional), or the state's name
        format!(
            r"{city},?[ \t]+(?:{US_STATES}|{US_STATE_NAMES})[ \t]+[0-9]{{5}}(?:-[0-9]{{4}})?(?-u:\b)"
        ),
        // Canada: province (or its name, or in parentheses) and postcode A1A 1A1
        format!(
            r"(?-u:\b)\(?(?:{CA_PROVINCES})\)?,?[ \t]+[ABCEGHJ-NPRSTVXY][0-9][ABCEGHJ-NPRSTV-Z][ \t]?[0-9][ABCEGHJ-NPRSTV-Z][0-9](?-u:\b)"
        ),
        // Australia: City STATE 1234
        format!(r"{city},?[ \t]+(?:NSW|VIC|QLD|SA|WA|TAS|NT|ACT)[ \t]+[0-9]{{4}}(?-u:\b)"),
        // United Kingdom: Town (or county) then a full postcode
        format!(
            r"{city},?[ \t]+(?:GIR[ \t]?0AA|[A-PR-UWYZ](?:[A-HK-Y]?[0-9][A-Z0-9]?|[0-9][A-HJKPSTUW]?|[A-HK-Y][0-9][ABEHMNPRVWXY]))[ \t]?[0-9][ABD-HJLNP-UW-Z]{{2}}(?-u:\b)"
        ),
    ];
    let alternatives: Vec<String> = patterns.iter().map(|p| format!("(?:{p})")).collect();
    Regex::new(&alternatives.join("|")).expect("valid town regex")
});

/// Town lines that need a street line or PO box before them.
static WEAK_TOWN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        # Netherlands: 1234 AB Town
        (?-u:\b)[0-9]{4}[\ \t]?[A-Z]{2}[\ \t]+[A-ZÀ-ÖØ-Þ][A-Za-zÀ-ÖØ-öø-ÿĀ-ž'’\-]+
        |
        # Portugal: 1234-567 Town
        (?-u:\b)[0-9]{4}-[0-9]{3}[\ \t]+[A-ZÀ-ÖØ-Þ][A-Za-zÀ-ÖØ-öø-ÿĀ-ž'’\-]+
        |
        # Sweden: 123 45 Town
        (?-u:\b)[0-9]{3}[\ \t][0-9]{2}[\ \t]+[A-ZÀ-ÖØ-Þ][A-Za-zÀ-ÖØ-öø-ÿĀ-ž'’\-]+
        |
        # Germany, France, Spain, Italy, ... 5 digits, Austria, Switzerland, Belgium, Denmark,
        # Norway ... 4 digits (an optional country prefix such as D- or CH-), then the town
        (?-u:\b)(?:[A-Z]{1,2}-)?[0-9]{4,5}[\ \t]+[A-ZÀ-ÖØ-Þ][A-Za-zÀ-ÖØ-öø-ÿĀ-ž'’\-]+
        ",
    )
    .expect("valid weak town regex")
});

/// The first postal address in `text`, as written there (white space collapsed, at most
/// 200 bytes), with its byte offset.
///
/// Every part of an address (house number, PO box number, postcode) has a digit, and the rest
/// of each part stands within a few words of it, so only the text around digits is searched:
/// [`REACH`] bytes either side of each run of digits, widened to whole words and lines. Most
/// of a message is prose without digits, and this keeps the search cheap.
pub(crate) fn find_postal_address(text: &str) -> Option<(usize, String)> {
    let bytes = text.as_bytes();
    // Windows [start, end) around digits, merged.
    let mut windows: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let run_start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let start = widen_back(text, run_start.saturating_sub(REACH));
        let end = widen_forward(text, (i + REACH).min(bytes.len()));
        match windows.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => windows.push((start, end)),
        }
    }
    if windows.is_empty() {
        return None;
    }
    let mut joined = String::new();
    // (offset in `joined`, offset in `text`) of each window.
    let mut map: Vec<(usize, usize)> = Vec::with_capacity(windows.len());
    for (start, end) in windows {
        map.push((joined.len(), start));
        joined.push_str(&text[start..end]);
        joined.push('\n');
    }
    let (start, found) = find_in(&joined)?;
    let k = map
        .partition_point(|&(kept, _)| kept <= start)
        .saturating_sub(1);
    let original = map.get(k).map_or(0, |&(kept, orig)| orig + (start - kept));
    Some((original, found))
}

/// Bytes of text searched either side of a run of digits.
const REACH: usize = 160;

/// Move a window start back to the start of its word (at most 40 bytes).
fn widen_back(text: &str, mut at: usize) -> usize {
    let bytes = text.as_bytes();
    let floor = at.saturating_sub(40);
    while at > floor && !bytes[at - 1].is_ascii_whitespace() {
        at -= 1;
    }
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Move a window end forward to the end of its word (at most 40 bytes).
fn widen_forward(text: &str, mut at: usize) -> usize {
    let bytes = text.as_bytes();
    let ceiling = (at + 40).min(bytes.len());
    while at < ceiling && !bytes[at].is_ascii_whitespace() {
        at += 1;
    }
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

fn find_in(text: &str) -> Option<(usize, String)> {
    // Without a town line there is no address: skip the street search.
    let strong = STRONG_TOWNS.find(text);
    if strong.is_none() && !WEAK_TOWN.is_match(text) {
        return None;
    }
    // Street lines and PO boxes, in text order.
    let mut anchors: Vec<(usize, usize)> = STREETS
        .iter()
        .flat_map(|re| re.find_iter(text))
        .chain(PO_BOX.find_iter(text))
        .map(|m| (m.start(), m.end()))
        .collect();
    // By end, so that the anchors a town line can pair with are one short range (see
    // `anchor_before`).
    anchors.sort_unstable_by_key(|&(start, end)| (end, start));
    let mut best: Option<(usize, usize)> = None;
    let mut consider = |span: (usize, usize)| {
        if best.is_none_or(|b| span.0 < b.0) {
            best = Some(span);
        }
    };
    if let Some(m) = strong {
        let start = anchor_before(&anchors, m.start()).unwrap_or(m.start());
        consider((start, m.end()));
    }
    if !anchors.is_empty()
        && let Some(span) = WEAK_TOWN
            .find_iter(text)
            .find_map(|m| anchor_before(&anchors, m.start()).map(|start| (start, m.end())))
    {
        consider(span);
    }
    let (start, end) = best?;
    let raw = &text[start..end];
    let mut out = String::with_capacity(raw.len());
    for word in raw.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    Some((start, crate::text::truncate(&out, 200).to_string()))
}

/// The start of the nearest street line or PO box that ends at most [`WINDOW`] bytes before
/// `at` (and not after it). `anchors` is sorted by end: only those ending in
/// `[at - WINDOW, at + 1]` are looked at (a few per byte of the window), so a text with many
/// town lines and many street lines costs a binary search per town line, not a scan of all.
fn anchor_before(anchors: &[(usize, usize)], at: usize) -> Option<usize> {
    let from = anchors.partition_point(|&(_, end)| end < at.saturating_sub(WINDOW));
    let to = anchors.partition_point(|&(_, end)| end <= at + 1);
    anchors
        .get(from..to)?
        .iter()
        .filter(|&&(start, _)| start < at)
        .max()
        .map(|&(start, _)| start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Option<String> {
        find_postal_address(text).map(|(_, a)| a)
    }

    #[test]
    fn real_looking_addresses_are_found() {
        for (text, expect) in [
            (
                "Acme Inc · 548 Market St #12345 · San Francisco, CA 94104 · USA",
                "548 Market St #12345 · San Francisco, CA 94104",
            ),
            (
                "PO Box 1234, Springfield, IL 62701-1234",
                "PO Box 1234, Springfield, IL 62701-1234",
            ),
            (
                "1600 Amphitheatre Parkway\nMountain View, California 94043",
                "1600 Amphitheatre Parkway Mountain View, California 94043",
            ),
            (
                "Acme Ltd, 10 Downing Street, London SW1A 2AA",
                "10 Downing Street, London SW1A 2AA",
            ),
            (
                "Unit 4, Station Road, Leeds LS1 4AB",
                "4, Station Road, Leeds LS1 4AB",
            ),
            (
                "Acme Canada, 80 Wellington St, Ottawa, ON K1A 0B1",
                "80 Wellington St, Ottawa, ON K1A 0B1",
            ),
            (
                "1000 rue Sherbrooke Ouest, Montréal (Québec) H3A 3G4",
                "1000 rue Sherbrooke Ouest, Montréal (Québec) H3A 3G4",
            ),
            (
                "Level 5, 100 Pitt Street, Sydney NSW 2000",
                "100 Pitt Street, Sydney NSW 2000",
            ),
            (
                "Acme GmbH, Musterstraße 12, 10115 Berlin",
                "Musterstraße 12, 10115 Berlin",
            ),
            (
                "Acme GmbH · Berliner Str. 5 · D-60311 Frankfurt",
                "Berliner Str. 5 · D-60311 Frankfurt",
            ),
            (
                "Postfach 10 20 30, 80333 München",
                "Postfach 10 20 30, 80333 München",
            ),
            (
                "Acme SAS, 12 rue de la Paix, 75002 Paris, France",
                "12 rue de la Paix, 75002 Paris",
            ),
            ("BP 123, 69001 Lyon", "BP 123, 69001 Lyon"),
            (
                "Acme BV, Keizersgracht 123, 1015 CJ Amsterdam",
                "Keizersgracht 123, 1015 CJ Amsterdam",
            ),
            (
                "Acme SL, Calle de Alcalá, 45, 28014 Madrid",
                "Calle de Alcalá, 45, 28014 Madrid",
            ),
            (
                "Acme Srl, Via Roma 10, 00184 Roma RM",
                "Via Roma 10, 00184 Roma",
            ),
            (
                "Acme Lda, Rua Augusta, 1500, 1100-053 Lisboa",
                "Rua Augusta, 1500, 1100-053 Lisboa",
            ),
        ] {
            assert_eq!(found(text).as_deref(), Some(expect), "{text}");
        }
    }

    #[test]
    fn near_misses_are_not_addresses() {
        for text in [
            "Call me at +1 (415) 555-0132 or 415-555-0199.",
            "The webinar is on March 12, 2024 at 10:00.",
            "Dates: 2024-03-12, 12/03/2024, 12 May 2024 in Berlin.",
            "We helped 10000 Companies grow; 12345 Users signed up.",
            "Save 20% on 3 Main features this week.",
            "Our office is at 10 Main St.",
            "Order #12345 Shipped to you.",
            "Reply to this email, IN 2024 we grew 3x.",
            "See section [1] and the 2 Best Ways to do it.",
            "Model A1 2BC is in stock.",
            "Version 2.0 ships in Q3 2024 with 150 Street teams.",
            "Tel. 030 12345678, Fax 030 12345679",
        ] {
            assert_eq!(found(text), None, "{text}");
        }
    }
}
