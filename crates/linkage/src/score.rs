//! The scorer: how likely two suspect records are the same person, in `[0, 1]`, with the reasons.
//!
//! Names (the main name and every alias, either order) are compared part by part with
//! Jaro-Winkler similarity, one-edit distance and the NYSIIS code; dates of birth by
//! [`crate::dob::compare`]; PNC ids exactly. The weights were set on planted synthetic data
//! (`cargo xtask bench link` prints precision and recall); see `docs/linkage.md`.

use serde::{Deserialize, Serialize};

use crate::MatchIdentity;
use crate::dob::{self, DobMatch};
use crate::normalise::{compact, first_word, normalise, pnc, split_full_name};
use crate::phonetic::nysiis;

/// Scores at or above this are stored as suggested links.
pub const SUGGEST_THRESHOLD: f64 = 0.78;

/// Why two records scored as they did. Codes only: a reason never carries a name or a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    PncExact,
    PncDiffers,
    NameExact,
    NamePhonetic,
    NameClose,
    NamesSwapped,
    Alias,
    DobExact,
    DobDayMonthSwapped,
    DobOneDigit,
    DobYearOffByOne,
    DobDiffers,
    DobUnknown,
}

impl Reason {
    /// The reason's code, as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::PncExact => "pnc_exact",
            Reason::PncDiffers => "pnc_differs",
            Reason::NameExact => "name_exact",
            Reason::NamePhonetic => "name_phonetic",
            Reason::NameClose => "name_close",
            Reason::NamesSwapped => "names_swapped",
            Reason::Alias => "alias",
            Reason::DobExact => "dob_exact",
            Reason::DobDayMonthSwapped => "dob_day_month_swapped",
            Reason::DobOneDigit => "dob_one_digit",
            Reason::DobYearOffByOne => "dob_year_off_by_one",
            Reason::DobDiffers => "dob_differs",
            Reason::DobUnknown => "dob_unknown",
        }
    }

    /// Words for a page.
    pub fn describe(self) -> &'static str {
        match self {
            Reason::PncExact => "same PNC id",
            Reason::PncDiffers => "different PNC ids",
            Reason::NameExact => "same name",
            Reason::NamePhonetic => "names sound alike",
            Reason::NameClose => "names spelt alike",
            Reason::NamesSwapped => "given and family names swapped",
            Reason::Alias => "matched through an alias",
            Reason::DobExact => "same date of birth",
            Reason::DobDayMonthSwapped => "date of birth with day and month swapped",
            Reason::DobOneDigit => "date of birth one digit apart",
            Reason::DobYearOffByOne => "date of birth a year apart",
            Reason::DobDiffers => "different dates of birth",
            Reason::DobUnknown => "date of birth not known for both",
        }
    }

    /// From the stored code.
    pub fn parse(code: &str) -> Option<Reason> {
        ALL_REASONS.into_iter().find(|r| r.as_str() == code)
    }
}

const ALL_REASONS: [Reason; 13] = [
    Reason::PncExact,
    Reason::PncDiffers,
    Reason::NameExact,
    Reason::NamePhonetic,
    Reason::NameClose,
    Reason::NamesSwapped,
    Reason::Alias,
    Reason::DobExact,
    Reason::DobDayMonthSwapped,
    Reason::DobOneDigit,
    Reason::DobYearOffByOne,
    Reason::DobDiffers,
    Reason::DobUnknown,
];

/// One name of a profile, normalised, with the NYSIIS code of each part.
#[derive(Clone, PartialEq, Eq)]
pub struct NameForm {
    /// First given name, compacted (may be empty).
    pub given: String,
    /// Family name, compacted (may be empty, but not both).
    pub family: String,
    pub given_code: String,
    pub family_code: String,
    /// From the aliases rather than the recorded name.
    pub alias: bool,
}

impl std::fmt::Debug for NameForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NameForm(<sealed>)")
    }
}

impl NameForm {
    fn new(given: String, family: String, alias: bool) -> Option<NameForm> {
        if given.is_empty() && family.is_empty() {
            return None;
        }
        Some(NameForm {
            given_code: nysiis(&given),
            family_code: nysiis(&family),
            given,
            family,
            alias,
        })
    }
}

/// An identity prepared for comparison: normalised names (the main one first, then aliases),
/// date of birth, PNC id.
#[derive(Clone, PartialEq, Eq)]
pub struct Profile {
    pub names: Vec<NameForm>,
    pub date_of_birth: Option<chrono::NaiveDate>,
    pub pnc: Option<String>,
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Profile(<sealed>)")
    }
}

impl Profile {
    /// Prepares an identity.
    pub fn new(identity: &MatchIdentity) -> Profile {
        let mut names = Vec::with_capacity(1 + identity.aliases.len());
        let given = identity
            .given_name
            .as_deref()
            .map(|g| first_word(&normalise(g)))
            .unwrap_or_default();
        let family = identity
            .family_name
            .as_deref()
            .map(compact)
            .unwrap_or_default();
        names.extend(NameForm::new(given, family, false));
        for alias in &identity.aliases {
            if let Some((given, family)) = split_full_name(alias)
                && let Some(form) = NameForm::new(given, family, true)
                && !names.contains(&form)
            {
                names.push(form);
            }
        }
        Profile {
            names,
            date_of_birth: identity.date_of_birth,
            pnc: identity.pnc_id.as_deref().and_then(pnc),
        }
    }
}

/// A score and its reasons.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkScore {
    pub score: f64,
    pub reasons: Vec<Reason>,
}

/// Similarity of one name part, in `[0, 1]`; `None` when either side is missing.
fn part(a: &str, a_code: &str, b: &str, b_code: &str) -> Option<(f64, Reason)> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    if a == b {
        return Some((1.0, Reason::NameExact));
    }
    // An initial against a full name.
    if (a.len() == 1 || b.len() == 1) && a.as_bytes()[0] == b.as_bytes()[0] {
        return Some((0.8, Reason::NameClose));
    }
    let jw = strsim::jaro_winkler(a, b);
    // Below 0.7 Jaro-Winkler says little about names: stretch 0.7..1 over 0..1.
    let mut similarity = ((jw - 0.7) / 0.3).clamp(0.0, 1.0);
    let mut reason = Reason::NameClose;
    if strsim::levenshtein(a, b) == 1 {
        similarity = similarity.max(0.9);
    }
    if a_code == b_code && !a_code.is_empty() {
        similarity = similarity.max(0.9);
        reason = Reason::NamePhonetic;
    }
    Some((similarity, reason))
}

/// Weight of the family name against the given name in the recorded order.
const FAMILY_WEIGHT: f64 = 0.6;
/// A missing part counts as half a match: it neither confirms nor refutes.
const UNKNOWN_PART: f64 = 0.5;

/// Compares two name parts each way and weights them; `None` parts count as [`UNKNOWN_PART`].
fn weighted(
    first: Option<(f64, Reason)>,
    second: Option<(f64, Reason)>,
    second_weight: f64,
) -> (f64, Vec<Reason>) {
    if first.is_none() && second.is_none() {
        return (0.0, Vec::new());
    }
    let reasons: Vec<Reason> = [first, second].iter().flatten().map(|p| p.1).collect();
    let value = |p: Option<(f64, Reason)>| p.map_or(UNKNOWN_PART, |p| p.0);
    (
        (1.0 - second_weight) * value(first) + second_weight * value(second),
        reasons,
    )
}

fn names(a: &NameForm, b: &NameForm) -> (f64, Vec<Reason>) {
    let straight = weighted(
        part(&a.given, &a.given_code, &b.given, &b.given_code),
        part(&a.family, &a.family_code, &b.family, &b.family_code),
        FAMILY_WEIGHT,
    );
    // Swapped given and family names: only when both records have both parts, and with equal
    // weights, so that the comparison stays symmetric.
    let complete = |n: &NameForm| !n.given.is_empty() && !n.family.is_empty();
    if !(complete(a) && complete(b)) {
        return straight;
    }
    let swapped = weighted(
        part(&a.given, &a.given_code, &b.family, &b.family_code),
        part(&a.family, &a.family_code, &b.given, &b.given_code),
        0.5,
    );
    if swapped.0 > straight.0 + 1e-9 {
        let (score, mut reasons) = swapped;
        reasons.push(Reason::NamesSwapped);
        (score, reasons)
    } else {
        straight
    }
}

/// The best name agreement over every pair of names (main and aliases) of the two profiles.
fn best_names(a: &Profile, b: &Profile) -> (f64, Vec<Reason>) {
    let mut best: (f64, Vec<Reason>) = (0.0, Vec::new());
    for x in &a.names {
        for y in &b.names {
            let (score, mut reasons) = names(x, y);
            if score > best.0 + 1e-9 {
                if x.alias || y.alias {
                    reasons.push(Reason::Alias);
                }
                best = (score, reasons);
            }
        }
    }
    let (score, mut reasons) = best;
    // One reason per kind; "same name" only when the whole name agrees.
    reasons.sort_by_key(|r| *r as u8);
    reasons.dedup();
    if score < 1.0 - 1e-9 && reasons.len() > 1 {
        reasons.retain(|r| *r != Reason::NameExact);
    }
    (score, reasons)
}

const NAME_WEIGHT: f64 = 0.6;

/// Scores two profiles.
pub fn score(a: &Profile, b: &Profile) -> LinkScore {
    let (name_score, mut reasons) = best_names(a, b);
    let dob = dob::compare(a.date_of_birth, b.date_of_birth);
    let dob_score = match dob {
        DobMatch::Exact => 1.0,
        DobMatch::DayMonthSwapped | DobMatch::OneDigit | DobMatch::YearOffByOne => 0.75,
        DobMatch::Unknown => 0.5,
        DobMatch::Different => 0.0,
    };
    reasons.push(match dob {
        DobMatch::Exact => Reason::DobExact,
        DobMatch::DayMonthSwapped => Reason::DobDayMonthSwapped,
        DobMatch::OneDigit => Reason::DobOneDigit,
        DobMatch::YearOffByOne => Reason::DobYearOffByOne,
        DobMatch::Different => Reason::DobDiffers,
        DobMatch::Unknown => Reason::DobUnknown,
    });
    let base = NAME_WEIGHT * name_score + (1.0 - NAME_WEIGHT) * dob_score;
    let score = match (&a.pnc, &b.pnc) {
        (Some(x), Some(y)) if x == y => {
            reasons.insert(0, Reason::PncExact);
            // A PNC id is issued to one person: on its own it is near certain.
            0.9 + 0.1 * base
        }
        (Some(_), Some(_)) => {
            reasons.insert(0, Reason::PncDiffers);
            0.5 * base
        }
        _ => base,
    };
    LinkScore {
        score: score.clamp(0.0, 1.0),
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use proptest::prelude::*;

    fn who(given: &str, family: &str, dob: Option<(i32, u32, u32)>) -> MatchIdentity {
        MatchIdentity {
            given_name: Some(given.to_owned()),
            family_name: Some(family.to_owned()),
            date_of_birth: dob.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)),
            ..MatchIdentity::default()
        }
    }

    fn s(a: &MatchIdentity, b: &MatchIdentity) -> LinkScore {
        score(&Profile::new(a), &Profile::new(b))
    }

    #[test]
    fn the_same_person_scores_one() {
        let a = who("Idris", "Penhallow", Some((1988, 3, 14)));
        let result = s(&a, &a);
        assert!((result.score - 1.0).abs() < 1e-9);
        assert!(result.reasons.contains(&Reason::NameExact));
        assert!(result.reasons.contains(&Reason::DobExact));
    }

    #[test]
    fn planted_variants_score_above_the_threshold() {
        let a = who("Idris", "Penhallow", Some((1988, 3, 11)));
        let variants = [
            (
                who("Idriss", "Penhalow", Some((1988, 3, 11))),
                Reason::NamePhonetic,
            ),
            (
                who("Penhallow", "Idris", Some((1988, 3, 11))),
                Reason::NamesSwapped,
            ),
            (
                who("IDRIS", "Pen-hallow", Some((1988, 3, 12))),
                Reason::DobOneDigit,
            ),
            (
                who("Idris", "Penhallow", Some((1988, 11, 3))),
                Reason::DobDayMonthSwapped,
            ),
            (
                who("Idris", "Penhallow", Some((1987, 3, 11))),
                Reason::DobOneDigit,
            ),
        ];
        for (variant, reason) in variants {
            let result = s(&a, &variant);
            assert!(
                result.score >= SUGGEST_THRESHOLD,
                "{:?} scored {}",
                result.reasons,
                result.score
            );
            assert!(result.reasons.contains(&reason), "{:?}", result.reasons);
        }
        let decade = s(
            &who("Idris", "Penhallow", Some((1990, 3, 11))),
            &who("Idris", "Penhallow", Some((1989, 3, 11))),
        );
        assert!(decade.score >= SUGGEST_THRESHOLD);
        assert!(decade.reasons.contains(&Reason::DobYearOffByOne));
    }

    #[test]
    fn an_alias_links() {
        let a = who("Idris", "Penhallow", Some((1988, 3, 14)));
        let mut b = who("Kit", "Vexley", Some((1988, 3, 14)));
        b.aliases.push("Idris Penhallow".to_owned());
        let result = s(&a, &b);
        assert!(result.score >= SUGGEST_THRESHOLD);
        assert!(result.reasons.contains(&Reason::Alias));
    }

    #[test]
    fn different_people_stay_below_the_threshold() {
        let a = who("Idris", "Penhallow", Some((1988, 3, 14)));
        let same_name_other_date = who("Idris", "Penhallow", Some((1971, 10, 2)));
        let same_date_other_name = who("Saoirse", "Quarrell", Some((1988, 3, 14)));
        assert!(s(&a, &same_name_other_date).score < SUGGEST_THRESHOLD);
        assert!(s(&a, &same_date_other_name).score < SUGGEST_THRESHOLD);
    }

    #[test]
    fn pnc_ids_decide_strongly() {
        let mut a = who("Idris", "Penhallow", Some((1988, 3, 14)));
        let mut b = who("Ivo", "Quarrell", None);
        a.pnc_id = Some("12/345678A".into());
        b.pnc_id = Some("12345678a".into());
        let same = s(&a, &b);
        assert!(same.score >= 0.9);
        assert_eq!(same.reasons[0], Reason::PncExact);
        b.pnc_id = Some("99/000001Z".into());
        let mut c = a.clone();
        c.pnc_id = Some("99/000001Z".into());
        assert!(s(&a, &c).score < SUGGEST_THRESHOLD);
    }

    #[test]
    fn reason_codes_round_trip() {
        for reason in ALL_REASONS {
            assert_eq!(Reason::parse(reason.as_str()), Some(reason));
        }
    }

    fn identity() -> impl Strategy<Value = MatchIdentity> {
        (
            proptest::option::of("[A-Za-z' -]{0,12}"),
            proptest::option::of("[A-Za-z' -]{0,14}"),
            proptest::option::of((1940i32..2010, 1u32..13, 1u32..29)),
            proptest::option::of("[0-9]{2}/[0-9]{6}[A-Z]"),
            proptest::collection::vec("[A-Za-z ]{0,20}", 0..3),
        )
            .prop_map(
                |(given_name, family_name, dob, pnc_id, aliases)| MatchIdentity {
                    given_name,
                    family_name,
                    date_of_birth: dob.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)),
                    pnc_id,
                    aliases,
                },
            )
    }

    proptest! {
        #[test]
        fn scores_are_bounded_and_symmetric(a in identity(), b in identity()) {
            let ab = s(&a, &b);
            let ba = s(&b, &a);
            prop_assert!((0.0..=1.0).contains(&ab.score));
            prop_assert!((ab.score - ba.score).abs() < 1e-9);
        }

        #[test]
        fn a_record_matches_itself_at_least_as_well_as_anything(a in identity(), b in identity()) {
            prop_assume!(!Profile::new(&a).names.is_empty());
            prop_assert!(s(&a, &a).score + 1e-9 >= s(&a, &b).score);
        }
    }
}
