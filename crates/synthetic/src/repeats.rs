//! Planted repeat suspects: the same invented person recorded as a suspect in several cases and
//! forces, each time a little differently (a spelling variant, given and family names swapped, the
//! name only as an alias, a mistyped date of birth), with the ground truth, to measure linkage.
//!
//! Person `i` of a seed comes from its own random stream, so any slice can be generated alone.
//! Names are made of invented syllables, or drawn from this crate's short invented lists (which
//! makes many different people share a name, as common names do).

use chrono::{Datelike, NaiveDate};
use domain::interchange::Identity;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::names;

/// What to plant.
#[derive(Debug, Clone)]
pub struct RepeatSettings {
    pub seed: u64,
    /// Distinct (true) people.
    pub people: usize,
    /// Share of people recorded more than once.
    pub repeat_share: f64,
    /// Most records of one person.
    pub max_records: usize,
    /// Forces the records are spread over.
    pub forces: usize,
}

impl RepeatSettings {
    /// `people` people, a tenth of them recorded two to four times, over twelve forces.
    pub fn new(seed: u64, people: usize) -> Self {
        RepeatSettings {
            seed,
            people,
            repeat_share: 0.1,
            max_records: 4,
            forces: 12,
        }
    }
}

/// How a record differs from the person's first record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// Recorded as the first time (letter case, hyphens and spaces may differ).
    Same,
    /// One letter doubled, dropped, changed or two letters swapped, in one name part.
    Spelling,
    /// Given and family names swapped.
    Swapped,
    /// Recorded under another name, with the person's name among the aliases.
    Alias,
    /// Date of birth mistyped: one digit, day and month swapped, or the year off by one.
    DobTypo,
    /// No date of birth recorded.
    DobMissing,
}

/// One suspect record of a case, with the truth.
#[derive(Debug, Clone)]
pub struct PlantedSuspect {
    pub force: String,
    pub reference: String,
    /// Always `S1`.
    pub person: String,
    pub identity: Identity,
    /// The true person: records with the same `truth` are the same person.
    pub truth: u64,
    pub variants: Vec<Variant>,
}

const ONSETS: &[&str] = &[
    "b", "br", "c", "ch", "d", "dr", "f", "g", "gr", "h", "j", "k", "l", "m", "n", "p", "pr", "r",
    "s", "sh", "st", "t", "th", "tr", "v", "w", "z", "",
];
const VOWELS: &[&str] = &["a", "e", "i", "o", "u", "ai", "ea", "ou", "y"];
const CODAS: &[&str] = &[
    "", "n", "r", "l", "s", "th", "nd", "m", "x", "rn", "ck", "ll",
];

fn syllable(rng: &mut ChaCha8Rng) -> String {
    format!(
        "{}{}{}",
        ONSETS[rng.random_range(0..ONSETS.len())],
        VOWELS[rng.random_range(0..VOWELS.len())],
        CODAS[rng.random_range(0..CODAS.len())]
    )
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// An invented name part of `syllables` syllables.
fn invented(rng: &mut ChaCha8Rng, syllables: usize) -> String {
    let text: String = (0..syllables).map(|_| syllable(rng)).collect();
    capitalised(&text)
}

fn name(rng: &mut ChaCha8Rng) -> (String, String) {
    if rng.random_bool(0.3) {
        (
            names::GIVEN[rng.random_range(0..names::GIVEN.len())].to_owned(),
            names::FAMILY[rng.random_range(0..names::FAMILY.len())].to_owned(),
        )
    } else {
        let family_syllables = rng.random_range(2..=3);
        (invented(rng, 2), invented(rng, family_syllables))
    }
}

fn date_of_birth(rng: &mut ChaCha8Rng) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(1950, 1, 1)
        .map(|start| start + chrono::Duration::days(rng.random_range(0..365 * 58)))
}

/// One spelling change in `text` (kept at three letters or more; the first letter stays).
fn respell(rng: &mut ChaCha8Rng, text: &str) -> String {
    let mut letters: Vec<char> = text.chars().collect();
    if letters.len() < 4 {
        letters.push(letters.last().copied().unwrap_or('e'));
        return letters.into_iter().collect();
    }
    let at = rng.random_range(1..letters.len() - 1);
    match rng.random_range(0..4) {
        0 => letters.insert(at, letters[at]),
        1 => {
            letters.remove(at);
        }
        2 => {
            let vowels = ['a', 'e', 'i', 'o', 'u', 'y'];
            let replacement = vowels[rng.random_range(0..vowels.len())];
            letters[at] = match (letters[at] == replacement, replacement) {
                (false, replacement) => replacement,
                (true, 'e') => 'a',
                (true, _) => 'e',
            };
        }
        _ if letters[at] != letters[at + 1] => letters.swap(at, at + 1),
        _ => letters.insert(at, letters[at]),
    }
    letters.into_iter().collect()
}

fn mistype(rng: &mut ChaCha8Rng, date: NaiveDate) -> NaiveDate {
    let (y, m, d) = (date.year(), date.month(), date.day());
    let candidate = match rng.random_range(0..3) {
        0 if d <= 12 && d != m => NaiveDate::from_ymd_opt(y, d, m),
        1 => {
            // One digit of the day or of the year's last digit.
            if rng.random_bool(0.5) {
                let units = d % 10;
                let other = (units + rng.random_range(1..10)) % 10;
                NaiveDate::from_ymd_opt(y, m, d - units + other)
            } else {
                let units = y.rem_euclid(10);
                let other = (units + rng.random_range(1..10)) % 10;
                NaiveDate::from_ymd_opt(y - units + other, m, d)
            }
        }
        _ => None,
    };
    match candidate {
        Some(typo) if typo != date => typo,
        _ => NaiveDate::from_ymd_opt(y + if rng.random_bool(0.5) { 1 } else { -1 }, m, d)
            .unwrap_or(date),
    }
}

/// Letter case and separators as a different system would record them.
fn noise(rng: &mut ChaCha8Rng, text: &str) -> String {
    match rng.random_range(0..4) {
        0 => text.to_uppercase(),
        1 => text.to_lowercase(),
        2 => format!(" {text} "),
        _ => text.to_owned(),
    }
}

fn pnc(rng: &mut ChaCha8Rng) -> String {
    format!(
        "{:02}/{:06}{}",
        rng.random_range(0..30),
        rng.random_range(0..999_999),
        (b'A' + rng.random_range(0..26u8)) as char
    )
}

/// The records of true person `truth`.
pub fn person_records(settings: &RepeatSettings, truth: u64) -> Vec<PlantedSuspect> {
    let mut rng =
        ChaCha8Rng::seed_from_u64(settings.seed ^ truth.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let forces = crate::force_codes(settings.forces);
    let (given, family) = name(&mut rng);
    let born = date_of_birth(&mut rng);
    let pnc_id = rng.random_bool(0.3).then(|| pnc(&mut rng));
    let records = if rng.random_bool(settings.repeat_share.clamp(0.0, 1.0)) {
        rng.random_range(2..=settings.max_records.max(2))
    } else {
        1
    };
    (0..records)
        .map(|index| {
            let mut identity = Identity {
                given_name: Some(given.clone()),
                family_name: Some(family.clone()),
                date_of_birth: born,
                pnc_id: pnc_id.clone().filter(|_| rng.random_bool(0.6)),
                ..Identity::default()
            };
            let mut variants = Vec::new();
            if index > 0 {
                let count = if rng.random_bool(0.2) { 2 } else { 1 };
                for _ in 0..count {
                    let variant = match rng.random_range(0..6) {
                        0 => Variant::Same,
                        1 => Variant::Spelling,
                        2 => Variant::Swapped,
                        3 => Variant::Alias,
                        4 => Variant::DobTypo,
                        _ => {
                            if rng.random_bool(0.3) {
                                Variant::DobMissing
                            } else {
                                Variant::Spelling
                            }
                        }
                    };
                    apply(&mut rng, &mut identity, variant);
                    variants.push(variant);
                }
            }
            PlantedSuspect {
                force: forces[rng.random_range(0..forces.len())].clone(),
                reference: format!("RS-{truth:07}-{index}"),
                person: "S1".to_owned(),
                identity,
                truth,
                variants,
            }
        })
        .collect()
}

fn apply(rng: &mut ChaCha8Rng, identity: &mut Identity, variant: Variant) {
    let given = identity.given_name.clone().unwrap_or_default();
    let family = identity.family_name.clone().unwrap_or_default();
    match variant {
        Variant::Same => {
            identity.given_name = Some(noise(rng, &given));
            identity.family_name = Some(noise(rng, &family));
        }
        Variant::Spelling => {
            if rng.random_bool(0.5) {
                identity.given_name = Some(respell(rng, &given));
            } else {
                identity.family_name = Some(respell(rng, &family));
            }
        }
        Variant::Swapped => {
            identity.given_name = Some(family);
            identity.family_name = Some(given);
        }
        Variant::Alias => {
            let (other_given, other_family) = name(rng);
            identity.aliases.push(format!("{given} {family}"));
            identity.given_name = Some(other_given);
            identity.family_name = Some(other_family);
        }
        Variant::DobTypo => {
            identity.date_of_birth = identity.date_of_birth.map(|d| mistype(rng, d));
        }
        Variant::DobMissing => identity.date_of_birth = None,
    }
}

/// Every record of every person, person by person (bounded memory: one person at a time).
pub fn planted(settings: &RepeatSettings) -> impl Iterator<Item = PlantedSuspect> + '_ {
    (0..settings.people as u64).flat_map(move |truth| person_records(settings, truth))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_plants_the_same_records() {
        let settings = RepeatSettings::new(7, 200);
        let one: Vec<_> = planted(&settings)
            .map(|r| (r.reference, r.identity))
            .collect();
        let two: Vec<_> = planted(&settings)
            .map(|r| (r.reference, r.identity))
            .collect();
        assert_eq!(one, two);
    }

    #[test]
    fn about_a_tenth_repeat_with_variants() {
        let settings = RepeatSettings::new(1, 2_000);
        let records: Vec<_> = planted(&settings).collect();
        let repeated = records
            .iter()
            .filter(|r| r.reference.ends_with("-1"))
            .count();
        assert!((120..=280).contains(&repeated), "{repeated}");
        assert!(
            records
                .iter()
                .all(|r| r.variants.is_empty() == r.reference.ends_with("-0"))
        );
        for kind in [
            Variant::Spelling,
            Variant::Swapped,
            Variant::Alias,
            Variant::DobTypo,
        ] {
            assert!(
                records.iter().any(|r| r.variants.contains(&kind)),
                "{kind:?}"
            );
        }
        let references: std::collections::HashSet<_> =
            records.iter().map(|r| &r.reference).collect();
        assert_eq!(references.len(), records.len());
    }

    #[test]
    fn mistyped_dates_are_near_and_respellings_differ() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..500 {
            let Some(date) = date_of_birth(&mut rng) else {
                continue;
            };
            let typo = mistype(&mut rng, date);
            assert_ne!(typo, date);
            assert!((typo - date).num_days().abs() <= 366 * 10);
            let name = invented(&mut rng, 2);
            assert_ne!(respell(&mut rng, &name), name);
        }
    }
}
