//! Finding codes from what a person types to `cbscan explain`: a code, a pasted log fragment,
//! or words of a meaning (`timeout`, `超时`, `login failed`).
//!
//! Ranking of a word search, best first:
//! 1. the query is exactly a code or a numeric alias (any letter case): that code alone;
//! 2. every word is in the code's name (`login failed` → `AUTH_LOGIN_FAILED`): shorter names
//!    first, as they hold less besides the words;
//! 3. every word is in the name or the zh or en meaning, at least one outside the name; ties
//!    keep catalog order (the page's order, which groups related codes).
//!
//! Words are compared in any letter case, and `_` in a name counts as a space, so `login
//! failed` and `LOGIN_FAILED` find the same codes.

use super::{Catalog, CodeId};
use crate::matcher::Matcher;

/// How a code was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Found {
    /// The query is the code, or one of its numeric aliases.
    Exact,
    /// The code occurs in a pasted log fragment.
    Fragment,
    /// Every word of the query is in the code's name.
    Name,
    /// Every word is in the name or the meaning.
    Meaning,
}

impl Found {
    /// Name used in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Found::Exact => "exact",
            Found::Fragment => "fragment",
            Found::Name => "name",
            Found::Meaning => "meaning",
        }
    }
}

/// What a query turned out to be, with the codes it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// How the query was read: [`Found::Exact`], [`Found::Fragment`], or a search (the kind
    /// of its best result; each code says how it was found).
    pub found: Found,
    /// The codes, best first (a fragment's in the order they occur), each with how it was
    /// found.
    pub codes: Vec<(CodeId, Found)>,
}

/// Resolves a query: exactly a code; else a fragment holding codes (found by `matcher`, with
/// the scan's word rules; shared names count without context: the person asked); else a word
/// search. `None` when nothing matches.
pub fn resolve(catalog: &Catalog, matcher: &Matcher, query: &str) -> Option<Answer> {
    if let Some(code) = catalog.lookup(query) {
        return Some(Answer {
            found: Found::Exact,
            codes: vec![(code, Found::Exact)],
        });
    }
    let in_fragment = codes_in(matcher, query);
    if !in_fragment.is_empty() {
        return Some(Answer {
            found: Found::Fragment,
            codes: in_fragment
                .into_iter()
                .map(|code| (code, Found::Fragment))
                .collect(),
        });
    }
    let codes = search(catalog, query);
    Some(Answer {
        found: codes.first()?.1,
        codes,
    })
}

/// The distinct codes in `text`, in the order they first occur.
pub fn codes_in(matcher: &Matcher, text: &str) -> Vec<CodeId> {
    let mut codes: Vec<CodeId> = Vec::new();
    matcher.find(text.as_bytes(), 0, text.len(), |hit| {
        let code = matcher.code_of(hit.pattern);
        if !codes.contains(&code) {
            codes.push(code);
        }
    });
    codes
}

/// Codes whose name or meaning holds every word of `query`, best first (see the module doc);
/// each with how it was found ([`Found::Name`] or [`Found::Meaning`]).
pub fn search(catalog: &Catalog, query: &str) -> Vec<(CodeId, Found)> {
    let words: Vec<String> = query
        .split(|c: char| c.is_whitespace() || c == '_')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    if words.is_empty() {
        return Vec::new();
    }
    let mut found: Vec<(Found, usize, CodeId)> = Vec::new();
    for (id, entry) in catalog.codes().iter().enumerate() {
        let name = entry.code.to_lowercase().replace('_', " ");
        let meaning = format!("{}\n{}", entry.zh.to_lowercase(), entry.en.to_lowercase());
        if words.iter().all(|w| name.contains(w.as_str())) {
            found.push((Found::Name, entry.code.len(), id));
        } else if words
            .iter()
            .all(|w| name.contains(w.as_str()) || meaning.contains(w.as_str()))
        {
            found.push((Found::Meaning, 0, id));
        }
    }
    found.sort();
    found.into_iter().map(|(kind, _, id)| (id, kind)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(catalog: &Catalog, codes: &[(CodeId, Found)]) -> Vec<String> {
        codes
            .iter()
            .map(|(c, _)| catalog.code(*c).code.clone())
            .collect()
    }

    #[test]
    fn names_rank_above_meanings_and_all_words_must_match() {
        let catalog = Catalog::builtin().expect("built-in catalog parses");
        let found = search(&catalog, "timeout");
        let kinds: Vec<Found> = found.iter().map(|(_, k)| *k).collect();
        let mut sorted = kinds.clone();
        sorted.sort();
        assert_eq!(kinds, sorted, "names first");
        let listed = names(&catalog, &found);
        // Shortest name holding the word first.
        assert_eq!(listed[0], "SERVER_TIMEOUT");
        assert!(
            listed.contains(&"-604102".to_string()),
            "en: call open API timeout"
        );

        let both = names(&catalog, &search(&catalog, "LOGIN failed"));
        assert_eq!(both[..2], ["AUTH_LOGIN_FAILED", "CHECK_LOGIN_FAILED"]);
        assert!(search(&catalog, "login nonsenseword").is_empty());
        assert!(search(&catalog, "   ").is_empty());
    }

    #[test]
    fn chinese_words_search_meanings() {
        let catalog = Catalog::builtin().expect("built-in catalog parses");
        let found = search(&catalog, "超时");
        assert!(found.iter().all(|(_, k)| *k == Found::Meaning));
        for (code, _) in &found {
            assert!(catalog.code(*code).zh.contains("超时"));
        }
        let listed = names(&catalog, &found);
        assert_eq!(listed[0], "SERVER_TIMEOUT", "catalog order: general first");
        assert!(listed.contains(&"DATABASE_TIMEOUT".to_string()));
    }

    #[test]
    fn fragments_are_read_with_the_scan_rules() {
        let catalog = Catalog::builtin().expect("built-in catalog parses");
        let matcher = Matcher::new(&catalog);
        let text = "errCode: -404011 cloud function execution error | errMsg: \
                    cloud.callFunction:fail requestID xx, cloud function service error code \
                    -504002, error message x-502005 PERMISSION_DENIEDS -502005";
        let answer = resolve(&catalog, &matcher, text).expect("codes in it");
        assert_eq!(answer.found, Found::Fragment);
        let listed: Vec<&str> = answer
            .codes
            .iter()
            .map(|(c, _)| catalog.code(*c).code.as_str())
            .collect();
        assert_eq!(
            listed,
            [
                "-404011",
                "FUNCTIONS_EXECUTE_FAIL",
                "DATABASE_COLLECTION_NOT_EXIST"
            ]
        );
        let exact = resolve(&catalog, &matcher, "-502005").expect("an alias");
        assert_eq!(exact.found, Found::Exact);
        assert_eq!(resolve(&catalog, &matcher, "no such words at all"), None);
    }

    proptest::proptest! {
        /// Whatever words are asked for: every result holds every word (in its name or
        /// meaning), names rank before meanings, each code at most once, and every code that
        /// holds the words is listed.
        #[test]
        fn search_lists_exactly_the_codes_holding_every_word(
            picks in proptest::collection::vec((0usize..1000, 0usize..40, 1usize..5), 1..3)
        ) {
            let catalog = Catalog::builtin().expect("built-in catalog parses");
            // Words cut from the catalog's own texts, so searches do find things.
            let words: Vec<String> = picks
                .iter()
                .map(|&(code, start, len)| {
                    let entry = catalog.code(code % catalog.codes().len());
                    let text: Vec<char> = format!("{} {}", entry.en, entry.zh).chars().collect();
                    let start = start % text.len().max(1);
                    text[start..(start + len).min(text.len())].iter().collect::<String>()
                })
                .filter(|w| !w.trim().is_empty() && !w.contains(char::is_whitespace) && !w.contains('_'))
                .collect();
            proptest::prop_assume!(!words.is_empty());
            let query = words.join(" ");
            let found = search(&catalog, &query);
            let holds = |code: CodeId| {
                let entry = catalog.code(code);
                let text = format!("{} {} {}", entry.code.replace('_', " "), entry.zh, entry.en)
                    .to_lowercase();
                words.iter().all(|w| text.contains(&w.to_lowercase()))
            };
            let listed: Vec<CodeId> = found.iter().map(|(c, _)| *c).collect();
            let expected: Vec<CodeId> =
                (0..catalog.codes().len()).filter(|&c| holds(c)).collect();
            let mut sorted = listed.clone();
            sorted.sort_unstable();
            proptest::prop_assert_eq!(sorted, expected);
            let kinds: Vec<Found> = found.iter().map(|(_, k)| *k).collect();
            let mut ranked = kinds.clone();
            ranked.sort();
            proptest::prop_assert_eq!(kinds, ranked);
        }
    }
}
