//! Northmoor case references: `NM-YYYY-NNNNNN` (the year the case was opened, then six digits).

use plugin_sdk::FieldError;
use serde_json::{Map, Value};

/// Why `reference` is not a Northmoor case reference, or `None` when it is one.
pub fn problem(reference: &str) -> Option<String> {
    let bytes = reference.as_bytes();
    let shape = bytes.len() == 14
        && reference.starts_with("NM-")
        && bytes[3..7].iter().all(u8::is_ascii_digit)
        && bytes[7] == b'-'
        && bytes[8..].iter().all(u8::is_ascii_digit);
    if !shape {
        return Some(format!(
            "`{}` is not a Northmoor case reference: expected NM-YYYY-NNNNNN, e.g. NM-2026-000123",
            reference.escape_default()
        ));
    }
    let year: u32 = reference[3..7].parse().unwrap_or(0);
    if !(1990..=2100).contains(&year) {
        return Some(format!(
            "`{reference}`: year {year} is not a plausible year for a Northmoor case"
        ));
    }
    None
}

/// Field errors of one event: its `case` must be a Northmoor reference.
pub fn validate(event: &Map<String, Value>) -> Vec<FieldError> {
    match event.get("case").and_then(Value::as_str) {
        Some(reference) => problem(reference)
            .map(|message| FieldError {
                field: "case".into(),
                message,
            })
            .into_iter()
            .collect(),
        None => vec![FieldError {
            field: "case".into(),
            message: "missing".into(),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_have_the_northmoor_shape() {
        assert_eq!(problem("NM-2026-000123"), None);
        for bad in [
            "EX-2026-000123",
            "NM-2026-00012",
            "NM-26-000123",
            "NM-2026-0001234",
            "NM-1066-000001",
            "nm-2026-000123",
        ] {
            assert!(problem(bad).is_some(), "{bad} accepted");
        }
    }
}
