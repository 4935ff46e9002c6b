//! Name normalisation: lower case, diacritics removed (`é` → `e`, `ø` → `o`), punctuation and
//! hyphens turned into spaces, runs of whitespace collapsed. What is left is ASCII letters and
//! single spaces.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The normalised form of a name (or part of one): ASCII lower-case words separated by one space.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.nfkd().filter(|c| !is_combining_mark(*c)) {
        let mapped: &str = match c {
            // Letters that do not decompose into a base letter and a mark.
            'ø' | 'Ø' => "o",
            'ß' => "ss",
            'æ' | 'Æ' => "ae",
            'œ' | 'Œ' => "oe",
            'ł' | 'Ł' => "l",
            'đ' | 'Đ' | 'ð' | 'Ð' => "d",
            'þ' | 'Þ' => "th",
            'ı' => "i",
            _ => "",
        };
        if !mapped.is_empty() {
            out.push_str(mapped);
            space = false;
        } else if c.is_ascii_alphabetic() {
            out.push(c.to_ascii_lowercase());
            space = false;
        } else if c == '\'' || c == '’' || c == '`' {
            // O'Neill and O’Neill are ONeill: an apostrophe joins, it does not separate.
        } else if !space && !out.is_empty() {
            out.push(' ');
            space = true;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// The normalised name with its spaces removed: the form compared by edit distance, so that
/// `Blackmore-Tey`, `Blackmore Tey` and `BLACKMORETEY` are the same.
pub fn compact(text: &str) -> String {
    normalise(text).replace(' ', "")
}

/// Splits a full name (an alias) into its first given name and a family name: the last word is
/// the family name. `None` when there is no letter at all.
pub fn split_full_name(text: &str) -> Option<(String, String)> {
    let normal = normalise(text);
    if normal.is_empty() {
        return None;
    }
    match normal.rsplit_once(' ') {
        Some((given, family)) => Some((first_word(given), family.to_owned())),
        None => Some((String::new(), normal)),
    }
}

/// The first word of a normalised text: linkage compares first given names, so that `Ivo` and
/// `Ivo Jan` agree.
pub fn first_word(normal: &str) -> String {
    normal.split(' ').next().unwrap_or_default().to_owned()
}

/// A PNC id reduced to upper-case letters and digits (`12/345678A` → `12345678A`).
pub fn pnc(text: &str) -> Option<String> {
    let out: String = text
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn case_diacritics_punctuation_and_hyphens_are_normalised() {
        assert_eq!(normalise("  Zoë   Ørsted-Lâm "), "zoe orsted lam");
        assert_eq!(normalise("O'Neill"), "oneill");
        assert_eq!(normalise("Strauß"), "strauss");
        assert_eq!(compact("Blackmore-Tey"), "blackmoretey");
        assert_eq!(compact("blackmore tey"), "blackmoretey");
        assert_eq!(normalise("--"), "");
    }

    #[test]
    fn a_full_name_splits_on_its_last_word() {
        assert_eq!(
            split_full_name("Ivo Jan Penhallow"),
            Some(("ivo".to_owned(), "penhallow".to_owned()))
        );
        assert_eq!(
            split_full_name("Penhallow"),
            Some((String::new(), "penhallow".to_owned()))
        );
        assert_eq!(split_full_name(" - "), None);
    }

    #[test]
    fn pnc_ids_keep_letters_and_digits() {
        assert_eq!(pnc("12/345678a"), Some("12345678A".to_owned()));
        assert_eq!(pnc(" / "), None);
    }

    proptest! {
        #[test]
        fn normalised_text_is_lower_ascii_single_spaced_and_stable(text in "\\PC{0,40}") {
            let once = normalise(&text);
            prop_assert!(once.chars().all(|c| c.is_ascii_lowercase() || c == ' '));
            prop_assert!(!once.contains("  "));
            prop_assert!(!once.starts_with(' ') && !once.ends_with(' '));
            prop_assert_eq!(normalise(&once), once.clone());
        }
    }
}
