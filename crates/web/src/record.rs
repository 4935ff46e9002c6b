//! Recording what happened, one kind of event per page: a kind's form is made from its
//! description ([`crate::kinds::spec`]) with the values sent and the errors by field, and a posted
//! form is read back into the kind's fields, collecting every field's error.
//!
//! Every form has "when did this happen" (a UK local date and time, now by default); the server
//! turns it into an instant and the usual checks refuse a time in the future or before the offence
//! or its report (`ops::record`).

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::London;
use domain::interchange::Kind;
use serde_json::{Map, Value};

use crate::error::{AppError, FieldError};
use crate::fields::Fields;
use crate::kinds::{
    COMMON_OFFENCES, COUNTRIES, Codes, Field, Input, OUTCOMES, People, Spec, code_label,
};
use crate::rows::PersonRow;

/// One choice of a select, radios or checkboxes as the page shows it.
#[derive(Debug, Clone)]
pub struct OptionView {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One field as the page shows it: made from its description, the values sent (kept after an
/// error) and its error.
#[derive(Debug, Clone)]
pub struct FieldView {
    /// The HTML id (also the error summary's link target).
    pub id: String,
    pub name: String,
    pub label: String,
    pub hint: String,
    /// `select`, `radios`, `checkbox`, `checkboxes`, `text`, `textarea`, `number`, `date`,
    /// `datetime`, `offences`.
    pub widget: &'static str,
    pub required: bool,
    pub value: String,
    /// For `datetime`: the time part.
    pub time: String,
    pub options: Vec<OptionView>,
    pub error: Option<String>,
}

impl FieldView {
    pub fn error_text(&self) -> &str {
        self.error.as_deref().unwrap_or("")
    }
    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if !self.hint.is_empty() {
            ids.push(format!("{}-hint", self.id));
        }
        if self.error.is_some() {
            ids.push(format!("{}-error", self.id));
        }
        ids.join(" ")
    }
}

/// The HTML id of a field.
pub fn field_id(name: &str) -> String {
    format!("f-{}", name.replace(['.', '_'], "-"))
}

/// A local date and time as the form shows it (`YYYY-MM-DD`, `HH:MM`).
pub fn local_parts(at: &DateTime<Utc>) -> (String, String) {
    let local = at.with_timezone(&London);
    (
        local.format("%Y-%m-%d").to_string(),
        local.format("%H:%M").to_string(),
    )
}

/// Reads a UK local date and time into an instant. A time that does not exist in the UK (the
/// hour lost when the clocks go forward) is refused; a time that happens twice (the hour when
/// they go back) is read as the first.
pub fn read_local(
    name: &str,
    date: Option<&str>,
    time: Option<&str>,
) -> Result<Option<DateTime<Utc>>, AppError> {
    let (date, time) = match (date, time) {
        (None, None) => return Ok(None),
        (Some(date), time) => (date, time.unwrap_or("00:00")),
        (None, Some(_)) => {
            return Err(AppError::invalid(
                name,
                "Enter the date as well as the time.",
            ));
        }
    };
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map_err(|_| AppError::invalid(name, "Enter a real date, for example 2026-03-27."))?;
    let time = NaiveTime::parse_from_str(time, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(time, "%H:%M:%S"))
        .map_err(|_| AppError::invalid(name, "Enter a real time, for example 14:30."))?;
    match London.from_local_datetime(&date.and_time(time)) {
        chrono::LocalResult::Single(at) => Ok(Some(at.with_timezone(&Utc))),
        chrono::LocalResult::Ambiguous(first, _) => Ok(Some(first.with_timezone(&Utc))),
        chrono::LocalResult::None => Err(AppError::invalid(
            name,
            "That time did not happen in the UK: the clocks went forward. Enter a time after 02:00.",
        )),
    }
}

/// The next free key for a new person of `role`: `V`, `S` or `W` and the next number.
pub fn next_person_key(people: &[PersonRow], role: &str) -> String {
    let prefix = match role {
        "victim" => "V",
        "suspect" => "S",
        _ => "W",
    };
    let next = people
        .iter()
        .filter_map(|p| p.key.strip_prefix(prefix)?.parse::<u32>().ok())
        .max()
        .unwrap_or(0)
        + 1;
    format!("{prefix}{next}")
}

/// The form's fields as the page shows them, with `sent` (the values of a post being answered,
/// kept) and `errors`.
pub fn field_views(
    spec: &Spec,
    people: &[PersonRow],
    sent: &Fields,
    errors: &[FieldError],
    preset_person: Option<&str>,
) -> Vec<FieldView> {
    spec.fields
        .iter()
        .map(|field| field_view(field, people, sent, errors, preset_person))
        .collect()
}

fn field_view(
    field: &Field,
    people: &[PersonRow],
    sent: &Fields,
    errors: &[FieldError],
    preset_person: Option<&str>,
) -> FieldView {
    let value = sent.get(field.name).unwrap_or("").to_owned();
    let chosen = sent.all(field.name);
    let option = |value: &str, label: String, selected: bool| OptionView {
        value: value.to_owned(),
        label,
        selected,
    };
    let coded = |codes: &Codes, current: &[String]| -> Vec<OptionView> {
        (codes.values)()
            .iter()
            .map(|v| option(v, code_label(codes.name, v), current.iter().any(|c| c == v)))
            .collect()
    };
    let (widget, options) = match field.input {
        Input::Person(which) => {
            let current = if value.is_empty() {
                preset_person.unwrap_or("").to_owned()
            } else {
                value.clone()
            };
            let options = people
                .iter()
                .filter(|p| match which {
                    People::Victims => p.role == "victim",
                    People::Suspects => p.role == "suspect",
                    People::Anyone => true,
                })
                .map(|p| option(&p.key, format!("{} ({})", p.key, p.role), p.key == current))
                .collect();
            ("select", options)
        }
        Input::Check => ("checkbox", Vec::new()),
        Input::YesNo => (
            "radios",
            vec![
                option("yes", "Yes".into(), value == "yes"),
                option("no", "No".into(), value == "no"),
                option("", "Not recorded".into(), value.is_empty()),
            ],
        ),
        Input::Text | Input::Officer => ("text", Vec::new()),
        Input::LongText => ("textarea", Vec::new()),
        Input::Number(..) => ("number", Vec::new()),
        Input::Date => ("date", Vec::new()),
        Input::DateTime => ("datetime", Vec::new()),
        Input::Code(codes) => {
            let mut options = Vec::new();
            if !field.required {
                options.push(option("", "Not recorded".into(), value.is_empty()));
            }
            options.extend(coded(&codes, std::slice::from_ref(&value)));
            ("select", options)
        }
        Input::ManyCodes(codes) => ("checkboxes", coded(&codes, &chosen)),
        Input::Offences => (
            "offences",
            COMMON_OFFENCES
                .iter()
                .map(|(code, name)| {
                    option(
                        code,
                        format!("{name} ({code})"),
                        chosen.iter().any(|c| c == code),
                    )
                })
                .collect(),
        ),
        Input::Outcome => {
            let mut options = vec![option("", "Choose an outcome".into(), value.is_empty())];
            options.extend(OUTCOMES.iter().enumerate().map(|(i, name)| {
                let code = (i + 1).to_string();
                let selected = value == code;
                option(&code, format!("{code}: {name}"), selected)
            }));
            ("select", options)
        }
        Input::Country => {
            let current = if value.is_empty() {
                "GB"
            } else {
                value.as_str()
            };
            let mut options = vec![option("", "Not recorded".into(), false)];
            options.extend(
                COUNTRIES
                    .iter()
                    .map(|(code, name)| option(code, (*name).to_owned(), *code == current)),
            );
            ("select", options)
        }
    };
    let other = if field.input.is_offences() {
        sent.get(&format!("{}-other", field.name))
            .unwrap_or("")
            .to_owned()
    } else {
        String::new()
    };
    FieldView {
        id: field_id(field.name),
        name: field.name.to_owned(),
        label: field.label.to_owned(),
        hint: field.hint.to_owned(),
        widget,
        required: field.required,
        value: if widget == "datetime" {
            sent.get(&format!("{}-date", field.name))
                .unwrap_or("")
                .to_owned()
        } else if field.input.is_offences() {
            other
        } else {
            value
        },
        time: sent
            .get(&format!("{}-time", field.name))
            .unwrap_or("")
            .to_owned(),
        options,
        error: errors
            .iter()
            .find(|error| error.field.as_deref() == Some(field.name))
            .map(|error| error.message.clone()),
    }
}

/// Builds the kind's fields (and `kind`) from a form, collecting every field's error.
pub fn object_from_form(
    spec: &Spec,
    sent: &Fields,
    people: &[PersonRow],
) -> Result<Map<String, Value>, Vec<FieldError>> {
    let mut object = Map::new();
    let mut errors = Vec::new();
    for field in spec.fields {
        match field_value(field, sent) {
            Ok(Some(value)) => insert(&mut object, field.name, value),
            Ok(None) if field.required => errors.push(FieldError::new(
                field.name,
                match field.input {
                    Input::Person(_) => format!("Choose the {}.", field.label.to_lowercase()),
                    Input::Code(_) | Input::Outcome => {
                        format!("Choose {}.", field.label.to_lowercase())
                    }
                    _ => format!("Enter {}.", field.label.to_lowercase()),
                },
            )),
            Ok(None) => {}
            Err(message) => errors.push(FieldError::new(field.name, message)),
        }
    }
    if spec.kind == Kind::PersonAdded
        && let Some(role) = object.get("role").and_then(Value::as_str)
    {
        let key = next_person_key(people, role);
        object.insert("person".into(), key.into());
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    object.insert("kind".into(), spec.kind.as_str().into());
    Ok(object)
}

fn insert(object: &mut Map<String, Value>, name: &str, value: Value) {
    match name.split_once('.') {
        Some((outer, inner)) => {
            let entry = object
                .entry(outer.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(map) = entry {
                map.insert(inner.to_owned(), value);
            }
        }
        None => {
            object.insert(name.to_owned(), value);
        }
    }
}

/// One field's value from the form: `None` when not given.
fn field_value(field: &Field, sent: &Fields) -> Result<Option<Value>, String> {
    let text = sent.get(field.name);
    Ok(match field.input {
        Input::Person(_) | Input::Text | Input::LongText | Input::Officer => text.map(Value::from),
        Input::Check => Some(Value::from(sent.checked(field.name))),
        Input::YesNo => match text {
            Some("yes") => Some(true.into()),
            Some("no") => Some(false.into()),
            None => None,
            Some(_) => return Err("Choose yes, no or not recorded.".into()),
        },
        Input::Code(codes) => match text {
            None => None,
            Some(value) if (codes.values)().contains(&value) => Some(value.into()),
            Some(_) => {
                return Err(format!(
                    "Choose {} from the list.",
                    field.label.to_lowercase()
                ));
            }
        },
        Input::ManyCodes(codes) => {
            let chosen = sent.all(field.name);
            if let Some(bad) = chosen
                .iter()
                .find(|c| !(codes.values)().contains(&c.as_str()))
            {
                return Err(format!("`{bad}` is not one of the choices."));
            }
            Some(chosen.into())
        }
        Input::Offences => {
            let mut codes = sent.all(field.name);
            let typed = sent.get(&format!("{}-other", field.name)).unwrap_or("");
            for code in typed.split([',', ' ', ';']).filter(|c| !c.is_empty()) {
                if !code
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
                {
                    return Err(format!(
                        "`{code}` is not an offence code: letters, digits and hyphens, like SOA2003-s1."
                    ));
                }
                if !codes.iter().any(|c| c == code) {
                    codes.push(code.to_owned());
                }
            }
            Some(codes.into())
        }
        Input::Number(min, max) => match text {
            None => None,
            Some(value) => match value.parse::<u32>() {
                Ok(n) if (min..=max).contains(&n) => Some(n.into()),
                _ => return Err(format!("Enter a whole number from {min} to {max}.")),
            },
        },
        Input::Outcome => match text {
            None => None,
            Some(value) => match value.parse::<u32>() {
                Ok(n) if (1..=22).contains(&n) => Some(n.into()),
                _ => return Err("Choose a Home Office outcome from the list.".into()),
            },
        },
        Input::Date => match text {
            None => None,
            Some(value) => match NaiveDate::parse_from_str(value, "%Y-%m-%d") {
                Ok(date) => Some(date.format("%Y-%m-%d").to_string().into()),
                Err(_) => return Err("Enter a real date, for example 2026-03-27.".into()),
            },
        },
        Input::DateTime => {
            let date = sent.get(&format!("{}-date", field.name));
            let time = sent.get(&format!("{}-time", field.name));
            match read_local(field.name, date, time) {
                Ok(at) => {
                    at.map(|at| Value::from(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)))
                }
                Err(error) => return Err(error.message),
            }
        }
        Input::Country => match text {
            None => None,
            Some("ZZ") => Some("ZZ".into()),
            Some(code) if COUNTRIES.iter().any(|(c, _)| *c == code) => Some(code.into()),
            Some(_) => return Err("Choose a country from the list.".into()),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uk_local_times_read_with_the_clock_changes() {
        let summer = read_local("at", Some("2026-07-01"), Some("14:30"))
            .ok()
            .flatten();
        assert_eq!(
            summer.map(|t| t.to_rfc3339()),
            Some("2026-07-01T13:30:00+00:00".into())
        );
        let winter = read_local("at", Some("2026-12-01"), Some("14:30"))
            .ok()
            .flatten();
        assert_eq!(
            winter.map(|t| t.to_rfc3339()),
            Some("2026-12-01T14:30:00+00:00".into())
        );
        // 01:30 on 29 March 2026 did not happen in the UK.
        assert!(read_local("at", Some("2026-03-29"), Some("01:30")).is_err());
        assert!(read_local("at", Some("2026-02-30"), Some("10:00")).is_err());
        assert!(matches!(read_local("at", None, None), Ok(None)));
    }

    #[test]
    fn person_keys_follow_the_role() {
        let row = |key: &str, role: &str| PersonRow {
            key: key.into(),
            role: role.into(),
            age_at_offence: None,
            enhanced_rights: false,
            name: None,
        };
        let people = [
            row("V1", "victim"),
            row("S1", "suspect"),
            row("V3", "victim"),
        ];
        assert_eq!(next_person_key(&people, "victim"), "V4");
        assert_eq!(next_person_key(&people, "suspect"), "S2");
        assert_eq!(next_person_key(&people, "witness"), "W1");
    }
}
