//! Offence codes in words, for people reading reports and case pages.
//!
//! Codes are `ACT-sN` (`docs/interchange.md`): `SOA2003` is the Sexual Offences Act 2003
//! (legislation.gov.uk/ukpga/2003/42), `SOA1956` the Sexual Offences Act 1956
//! (legislation.gov.uk/ukpga/Eliz2/4-5/69), under which offences committed before 1 May 2004 are
//! charged. The names are short descriptions of each section's offence written for this project,
//! not the statutory headings; a code not listed here (a force's own, or a section not yet named)
//! is shown as its code.

/// The offence of `code` in words (`"Rape"` for `SOA2003-s1`), if known.
pub fn name(code: &str) -> Option<&'static str> {
    let (act, section) = code.split_once("-s")?;
    let table: &[(&str, &str)] = match act {
        "SOA2003" => SOA_2003,
        "SOA1956" => SOA_1956,
        _ => return None,
    };
    table
        .iter()
        .find(|(listed, _)| *listed == section)
        .map(|(_, name)| *name)
}

/// The offence in words followed by its code (`Rape (SOA2003-s1)`), or the code alone.
pub fn describe(code: &str) -> String {
    match name(code) {
        Some(name) => format!("{name} ({code})"),
        None => code.to_owned(),
    }
}

const SOA_2003: &[(&str, &str)] = &[
    ("1", "Rape"),
    ("2", "Assault by penetration"),
    ("3", "Sexual assault"),
    ("4", "Causing sexual activity without consent"),
    ("5", "Rape of a child under 13"),
    ("6", "Assault by penetration of a child under 13"),
    ("7", "Sexual assault of a child under 13"),
    ("8", "Causing or inciting sexual activity, child under 13"),
    ("9", "Sexual activity with a child"),
    ("10", "Causing or inciting a child to sexual activity"),
    ("11", "Sexual activity in the presence of a child"),
    ("12", "Causing a child to watch a sexual act"),
    ("13", "Child sex offence by a person under 18"),
    ("14", "Arranging or facilitating a child sex offence"),
    ("15", "Meeting a child after sexual grooming"),
    ("15A", "Sexual communication with a child"),
    (
        "16",
        "Abuse of a position of trust: sexual activity with a child",
    ),
    ("25", "Sexual activity with a child family member"),
    ("26", "Inciting a child family member to sexual activity"),
    (
        "30",
        "Sexual activity with a person whose mental disorder impedes choice",
    ),
    ("47", "Paying for the sexual services of a child"),
    ("61", "Administering a substance with intent"),
    (
        "62",
        "Committing an offence with intent to commit a sexual offence",
    ),
    ("63", "Trespass with intent to commit a sexual offence"),
    ("66", "Exposure"),
    ("66A", "Sending an image of genitals"),
    ("66B", "Sharing or threatening to share an intimate image"),
    ("67", "Voyeurism"),
    ("67A", "Voyeurism: images beneath clothing"),
];

const SOA_1956: &[(&str, &str)] = &[
    ("1", "Rape (1956 Act)"),
    ("14", "Indecent assault on a woman (1956 Act)"),
    ("15", "Indecent assault on a man (1956 Act)"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_have_names_and_others_show_their_code() {
        assert_eq!(name("SOA2003-s1"), Some("Rape"));
        assert_eq!(name("SOA2003-s66A"), Some("Sending an image of genitals"));
        assert_eq!(describe("SOA2003-s3"), "Sexual assault (SOA2003-s3)");
        assert_eq!(describe("SOA1956-s1"), "Rape (1956 Act) (SOA1956-s1)");
        // Not a prefix match: s1 is not s15, and unknown sections or acts are shown as they are.
        assert_eq!(
            name("SOA2003-s15"),
            Some("Meeting a child after sexual grooming")
        );
        assert_eq!(name("SOA2003-s99"), None);
        assert_eq!(describe("NMP-LOCAL-7"), "NMP-LOCAL-7");
        assert_eq!(describe("SOA2003"), "SOA2003");
    }
}
