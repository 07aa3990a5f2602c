//! Text folding shared by name resolution and search.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Folds a name for matching: compatibility-decomposed, accents (combining
/// marks) removed, lower-cased, runs of whitespace collapsed to one space.
/// "  José  MARÍA " and "jose maria" fold to the same key. Done in Rust, not
/// with PostgreSQL's `unaccent`, so the rule is the same on every server.
pub fn fold_name(name: &str) -> String {
    let stripped: String = name.nfkd().filter(|c| !is_combining_mark(*c)).collect();
    let lower = stripped.to_lowercase();
    lower.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_case_accents_and_spacing() {
        assert_eq!(fold_name("  José  MARÍA "), "jose maria");
        assert_eq!(fold_name("Øresund"), "øresund");
        assert_eq!(fold_name("Ana Veloso"), fold_name("ANA  VELOSO"));
    }
}
