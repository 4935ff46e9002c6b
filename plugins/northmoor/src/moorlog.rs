//! Moorlog, Northmoor's (invented) records system, exports CSV with this header:
//!
//! ```text
//! entry,ref,occurred,event,person,detail
//! ```
//!
//! - `entry`: Moorlog's own id for the row; it becomes the event `id` (`moorlog-ENTRY`), so
//!   importing the same export twice adds nothing;
//! - `ref`: the case reference, `NM-YYYY-NNNNNN`;
//! - `occurred`: local time in the UK, `DD/MM/YYYY HH:MM` (GMT or BST as in force then);
//! - `event`: a Moorlog code (see [`CODES`]);
//! - `person`: the case's person key (`V1`, `S1`), where the code needs one;
//! - `detail`: depends on the code (offence codes separated by `;`, an officer number, ...).
//!
//! Fields may be quoted with `"` (a quote inside is doubled), as spreadsheets write them.

use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::Europe::London;
use serde_json::{Map, Value, json};

use crate::{FORCE, reference};

/// The header line Moorlog writes.
pub const HEADER: &str = "entry,ref,occurred,event,person,detail";

/// Moorlog event codes and the interchange kinds they become.
pub const CODES: &[(&str, &str)] = &[
    ("REPORT", "report_received"),
    ("RECORDED", "crime_recorded"),
    ("VICTIM", "person_added"),
    ("SUSPECT", "person_added"),
    ("WITNESS", "person_added"),
    ("OIC", "officer_allocated"),
    ("SUPERVISOR", "officer_allocated"),
    ("SUP_REVIEW", "supervisor_review"),
    ("NEEDS", "needs_assessment"),
    ("CONFIRMATION", "written_confirmation_sent"),
    ("REFERRAL", "support_referral"),
    ("ISVA_OFFERED", "isva_offered"),
    ("ARREST", "suspect_arrested"),
    ("INFORMED", "victim_informed"),
    ("NOTE", "note"),
];

/// Interchange events from a Moorlog CSV export, in file order. Errors name the line and column.
pub fn import(data: &[u8]) -> Result<Vec<Map<String, Value>>, String> {
    let text = std::str::from_utf8(data).map_err(|error| format!("not UTF-8: {error}"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, header)) if header.trim() == HEADER => {}
        _ => return Err(format!("line 1: expected the Moorlog header `{HEADER}`")),
    }
    let mut events = Vec::new();
    for (index, line) in lines {
        let number = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let event = row(line).map_err(|message| format!("line {number}: {message}"))?;
        events.push(event);
    }
    Ok(events)
}

fn row(line: &str) -> Result<Map<String, Value>, String> {
    let fields = split_csv(line)?;
    let [entry, case, occurred, code, person, detail] = fields.as_slice() else {
        return Err(format!("expected 6 columns, found {}", fields.len()));
    };
    if entry.trim().is_empty() {
        return Err("column `entry`: empty".into());
    }
    if let Some(problem) = reference::problem(case) {
        return Err(format!("column `ref`: {problem}"));
    }
    let at = local_time(occurred).map_err(|message| format!("column `occurred`: {message}"))?;
    let needs_person = || {
        if person.trim().is_empty() {
            Err(format!("column `person`: event `{code}` needs a person"))
        } else {
            Ok(Value::String(person.trim().to_owned()))
        }
    };
    let list = |text: &str| -> Vec<Value> {
        text.split(';')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| Value::String(item.to_owned()))
            .collect()
    };
    let (kind, fields) = match code.trim() {
        "REPORT" => ("report_received", json!({"offences": list(detail)})),
        "RECORDED" => ("crime_recorded", json!({"offences": list(detail)})),
        role @ ("VICTIM" | "SUSPECT" | "WITNESS") => (
            "person_added",
            json!({"person": needs_person()?, "role": role.to_ascii_lowercase()}),
        ),
        "OIC" => (
            "officer_allocated",
            json!({"officer": detail.trim(), "role": "oic"}),
        ),
        "SUPERVISOR" => (
            "officer_allocated",
            json!({"officer": detail.trim(), "role": "supervisor"}),
        ),
        "SUP_REVIEW" => ("supervisor_review", json!({"officer": detail.trim()})),
        "NEEDS" => ("needs_assessment", json!({"person": needs_person()?})),
        "CONFIRMATION" => (
            "written_confirmation_sent",
            json!({"person": needs_person()?}),
        ),
        "REFERRAL" => (
            "support_referral",
            json!({"person": needs_person()?, "service": detail.trim(), "declined": false}),
        ),
        "ISVA_OFFERED" => (
            "isva_offered",
            json!({"person": needs_person()?, "accepted": detail.trim() == "accepted"}),
        ),
        "ARREST" => ("suspect_arrested", json!({"person": needs_person()?})),
        "INFORMED" => (
            "victim_informed",
            json!({"person": needs_person()?, "about": detail.trim()}),
        ),
        "NOTE" => ("note", json!({"text": detail})),
        other => {
            let known: Vec<&str> = CODES.iter().map(|(code, _)| *code).collect();
            return Err(format!(
                "column `event`: unknown Moorlog code `{}` (known: {})",
                other.escape_default(),
                known.join(", ")
            ));
        }
    };
    let mut event = Map::new();
    event.insert("case".into(), Value::String(case.clone()));
    event.insert("force".into(), FORCE.into());
    event.insert("at".into(), at.into());
    event.insert("kind".into(), kind.into());
    event.insert("id".into(), format!("moorlog-{}", entry.trim()).into());
    if let Value::Object(fields) = fields {
        event.extend(fields);
    }
    Ok(event)
}

/// `DD/MM/YYYY HH:MM` in UK local time, as RFC 3339 with the offset in force. A time that does
/// not exist (the hour skipped in March) is refused; one that happens twice (October) takes the
/// first.
fn local_time(text: &str) -> Result<String, String> {
    let naive = NaiveDateTime::parse_from_str(text.trim(), "%d/%m/%Y %H:%M")
        .map_err(|_| format!("`{}` is not DD/MM/YYYY HH:MM", text.escape_default()))?;
    let local = London
        .from_local_datetime(&naive)
        .earliest()
        .ok_or_else(|| format!("`{text}` does not exist in UK time (clocks went forward)"))?;
    Ok(local.fixed_offset().to_rfc3339())
}

/// Splits one CSV line; fields may be quoted, with `""` for a quote inside.
fn split_csv(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() && !was_quoted => {
                quoted = true;
                was_quoted = true;
            }
            (false, ',') => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            (false, '"') => return Err("a quote in the middle of an unquoted field".into()),
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err("a quoted field is not closed".into());
    }
    fields.push(field);
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_interchange_events_with_uk_offsets() {
        let csv = format!(
            "{HEADER}\n1,NM-2026-000001,02/03/2026 09:00,REPORT,,SOA2003-s1\n2,NM-2026-000001,01/07/2026 10:30,VICTIM,V1,\n3,NM-2026-000001,02/07/2026 11:00,NOTE,,\"said \"\"hello\"\", left\"\n"
        );
        let events = import(csv.as_bytes()).expect("valid");
        assert_eq!(events.len(), 3);
        assert_eq!(events[0]["at"], "2026-03-02T09:00:00+00:00");
        assert_eq!(events[0]["offences"], json!(["SOA2003-s1"]));
        assert_eq!(events[1]["at"], "2026-07-01T10:30:00+01:00");
        assert_eq!(events[1]["role"], "victim");
        assert_eq!(events[2]["text"], "said \"hello\", left");
        assert_eq!(events[2]["id"], "moorlog-3");
    }

    #[test]
    fn errors_name_the_line_and_column() {
        let csv = format!(
            "{HEADER}\n1,NM-2026-000001,02/03/2026 09:00,REPORT,,\n2,EX-1,02/03/2026,REPORT,,\n"
        );
        let error = import(csv.as_bytes()).expect_err("bad ref");
        assert!(error.starts_with("line 3: column `ref`"), "{error}");
        let csv = format!("{HEADER}\n1,NM-2026-000001,29/03/2026 01:30,REPORT,,\n");
        let error = import(csv.as_bytes()).expect_err("skipped hour");
        assert!(error.contains("does not exist"), "{error}");
        let csv = format!("{HEADER}\n1,NM-2026-000001,02/03/2026 09:00,TELEPORT,,\n");
        let error = import(csv.as_bytes()).expect_err("unknown code");
        assert!(error.contains("unknown Moorlog code `TELEPORT`"), "{error}");
        assert!(import(b"wrong,header\n").is_err());
    }
}
