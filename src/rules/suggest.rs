//! Rule ids as the user types them: a family prefix (`spf`) stands for its rules, and a
//! mistyped id gets the closest known ids as a suggestion.

use super::{RuleMeta, Rules};

/// Ids further than this many edits (insertions, deletions, substitutions, swaps of two
/// neighbours) from every known id or family get no suggestion.
const MAX_EDITS: usize = 3;
/// At most this many suggestions, the closest first.
const MAX_SUGGESTIONS: usize = 3;

/// The family of a rule id: `spf` of `spf/lookup-limit`.
pub fn family_of(id: &str) -> &str {
    id.split_once('/').map_or(id, |(family, _)| family)
}

/// True when `id` is what `query` asks for: the id itself, or a rule of the family `query`
/// (`spf` or `spf/`).
pub fn in_query(id: &str, query: &str) -> bool {
    let query = query.trim_end_matches('/');
    id == query || (!query.is_empty() && family_of(id) == query)
}

impl Rules {
    /// The rules of family `name` (`spf`, or `spf/`), in id order; empty when none.
    pub fn family<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a RuleMeta> + 'a {
        let name = name.trim_end_matches('/');
        self.iter()
            .filter(move |meta| !name.is_empty() && family_of(&meta.id) == name)
    }

    /// The known ids and families closest to `query` (a mistyped id), at most three, the
    /// closest first; empty when nothing is close. The start of an id suggests the ids it
    /// starts; a bare name (`lookup-limit`) is also compared with the part of each id after
    /// its family.
    pub fn suggest(&self, query: &str) -> Vec<String> {
        let query = query.trim().to_ascii_lowercase();
        let query = query.trim_end_matches('/');
        if query.is_empty() {
            return Vec::new();
        }
        // The start of an id (`spf/ptr` of `spf/ptr-mechanism`): the ids it starts.
        if query.contains('/') {
            let started: Vec<String> = self
                .iter()
                .filter(|meta| meta.id.starts_with(query))
                .take(MAX_SUGGESTIONS)
                .map(|meta| meta.id.clone())
                .collect();
            if !started.is_empty() {
                return started;
            }
        }
        let mut candidates: Vec<(usize, String)> = Vec::new();
        let mut consider = |distance: usize, name: &str| {
            if let Some(entry) = candidates.iter_mut().find(|(_, n)| n == name) {
                entry.0 = entry.0.min(distance);
            } else {
                candidates.push((distance, name.to_string()));
            }
        };
        for meta in self.iter() {
            let id = meta.id.as_str();
            let mut distance = strsim::damerau_levenshtein(query, id);
            if !query.contains('/')
                && let Some((_, name)) = id.split_once('/')
            {
                distance = distance.min(strsim::damerau_levenshtein(query, name));
            }
            consider(distance, id);
            let family = family_of(id);
            consider(strsim::damerau_levenshtein(query, family), family);
        }
        // Short ids need closer matches: two edits make `spf` of `dkim`.
        let allowed = MAX_EDITS.min(query.chars().count().div_ceil(3));
        candidates.retain(|(distance, _)| *distance <= allowed);
        candidates.sort();
        let best = candidates.first().map_or(0, |(distance, _)| *distance);
        candidates
            .into_iter()
            .take_while(|(distance, _)| *distance == best)
            .take(MAX_SUGGESTIONS)
            .map(|(_, name)| name)
            .collect()
    }

    /// ` (did you mean `spf/lookup-limit`?)` for a mistyped id, or nothing.
    pub fn suggestion(&self, query: &str) -> String {
        let found = self.suggest(query);
        let quoted: Vec<String> = found.iter().map(|name| format!("`{name}`")).collect();
        match quoted.split_last() {
            None => String::new(),
            Some((last, [])) => format!(" (did you mean {last}?)"),
            Some((last, rest)) => format!(" (did you mean {} or {last}?)", rest.join(", ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        Rules::builtin().unwrap()
    }

    #[test]
    fn a_family_prefix_selects_its_rules() {
        assert!(in_query("spf/lookup-limit", "spf"));
        assert!(in_query("spf/lookup-limit", "spf/"));
        assert!(in_query("spf/lookup-limit", "spf/lookup-limit"));
        assert!(!in_query("spf/lookup-limit", "sp"));
        assert!(!in_query("spf/lookup-limit", "spf/lookup"));
        assert!(!in_query("spf/lookup-limit", ""));
        let rules = rules();
        let spf: Vec<&str> = rules.family("spf").map(|m| m.id.as_str()).collect();
        assert!(spf.contains(&"spf/lookup-limit"), "{spf:?}");
        assert!(spf.iter().all(|id| id.starts_with("spf/")), "{spf:?}");
        assert_eq!(rules.family("").count(), 0);
        assert_eq!(rules.family("sp").count(), 0);
    }

    #[test]
    fn a_mistyped_id_gets_the_closest_ids() {
        let rules = rules();
        assert_eq!(rules.suggest("spf/lookup-limt"), ["spf/lookup-limit"]);
        assert_eq!(rules.suggest("SPF/Lookup-Limit"), ["spf/lookup-limit"]);
        assert_eq!(rules.suggest("lookup-limit"), ["spf/lookup-limit"]);
        assert_eq!(rules.suggest("spff"), ["spf"]);
        assert_eq!(rules.suggest("spf/ptr"), ["spf/ptr-mechanism"]);
        assert_eq!(
            rules.suggestion("spf/lookup-limt"),
            " (did you mean `spf/lookup-limit`?)"
        );
        for far in ["", "q", "completely/unrelated-words"] {
            assert!(
                rules.suggest(far).is_empty(),
                "{far}: {:?}",
                rules.suggest(far)
            );
        }
    }
}
