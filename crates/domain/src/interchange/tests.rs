use serde_json::{Value, json};

use super::*;

fn line(fields: Value) -> String {
    let mut object = json!({"case": "EX-1", "force": "exampleshire", "at": "2026-03-06T10:00:00Z"});
    if let (Some(target), Value::Object(extra)) = (object.as_object_mut(), fields) {
        target.extend(extra);
    }
    object.to_string()
}

fn error_of(fields: Value) -> RecordError {
    parse_record(&line(fields)).expect_err("should be refused")
}

/// One representative line of every kind, with every field the format lists.
fn one_of_each_kind() -> Vec<Value> {
    vec![
        json!({"kind": "report_received", "channel": "999", "offences": ["SOA2003-s1"], "offence_from": "2026-03-05T22:00:00Z", "offence_to": "2026-03-05T23:00:00+01:00", "location": {"country": "GB"}, "penetration": ["oral", "skin"]}),
        json!({"kind": "crime_recorded", "offences": ["SOA2003-s1", "SOA1956-s1"]}),
        json!({"kind": "person_added", "person": "V1", "role": "victim", "identity": {"given_name": "Orla", "family_name": "Penhallow", "date_of_birth": "1999-04-01", "pnc_id": "99/123456X", "aliases": ["O. P."]}, "age_at_offence": 26, "enhanced_rights": true}),
        json!({"kind": "officer_allocated", "officer": "4471", "role": "oic"}),
        json!({"kind": "supervisor_review", "officer": "9001", "note": "plan agreed"}),
        json!({"kind": "needs_assessment", "person": "V1"}),
        json!({"kind": "written_confirmation_sent", "person": "V1"}),
        json!({"kind": "support_referral", "person": "V1", "service": "victim_support", "declined": true}),
        json!({"kind": "isva_offered", "person": "V1", "accepted": false}),
        json!({"kind": "update_cadence_agreed", "person": "V1", "every_days": 14, "channel": "email"}),
        json!({"kind": "victim_informed", "person": "V1", "about": "bail_varied", "reason_given": true}),
        json!({"kind": "suspect_arrested", "person": "V1"}),
        json!({"kind": "suspect_interviewed", "person": "V1", "under_caution": true}),
        json!({"kind": "suspect_bailed", "person": "V1", "conditions": true, "victim_views_sought": false}),
        json!({"kind": "bail_extended", "person": "V1", "until": "2026-07-14", "authorised_by": "superintendent"}),
        json!({"kind": "bail_varied", "person": "V1", "victim_views_sought": true}),
        json!({"kind": "bail_ended", "person": "V1"}),
        json!({"kind": "suspect_released_rui", "person": "V1"}),
        json!({"kind": "suspect_released_nfa", "person": "V1"}),
        json!({"kind": "decision_not_to_investigate", "reason": "no offence disclosed"}),
        json!({"kind": "victim_interviewed", "person": "V1", "mode": "vri", "gender_preference_asked": true}),
        json!({"kind": "statement_taken", "person": "V1", "evidential": true, "vps_offered": true}),
        json!({"kind": "forensic_exam_offered", "person": "V1", "accepted": true, "sarc": "Example SARC"}),
        json!({"kind": "device_extraction", "person": "V1", "notice_given": true, "agreement_recorded": true, "rationale": {"relevance": "a", "necessity": "b", "proportionality": "c", "less_intrusive": "d"}}),
        json!({"kind": "third_party_request", "person": "V1", "holder": "school", "expected": "e", "line_of_enquiry": "l", "necessity": "n", "victim_informed": true}),
        json!({"kind": "charging_decision", "person": "V1", "by": "cps", "decision": "further_evidence", "test": "threshold", "threshold_conditions": ["insufficient_now", "further_evidence_expected", "seriousness", "bail_grounds"], "offences": ["SOA2003-s2"]}),
        json!({"kind": "suspect_charged", "person": "V1", "offences": ["SOA2003-s2"]}),
        json!({"kind": "vrr_requested", "person": "V1"}),
        json!({"kind": "vrr_acknowledged", "person": "V1"}),
        json!({"kind": "vrr_decided", "person": "V1"}),
        json!({"kind": "jurisdiction_assessed", "decision": "foreign", "basis": "no UK link"}),
        json!({"kind": "case_closed", "outcome": 15, "suspect_identified": true, "victim_supports": true}),
        json!({"kind": "information_notice_given", "person": "V1", "holder": "Example counselling service", "content": ["information_sought", "reason", "handling"]}),
        json!({"kind": "early_advice", "summary": "prosecutor advised on lines of enquiry"}),
        json!({"kind": "interview_planned", "person": "V1", "mode": "abe", "intermediary_considered": true, "intermediary_needed": false}),
        json!({"kind": "special_measures_applied", "person": "V1", "measures": ["video_recorded_interview", "pre_recorded_cross_examination", "screens"]}),
        json!({"kind": "victim_withdrawal", "person": "V1", "retraction": true}),
        json!({"kind": "property_taken", "person": "V1", "item": "EX-PH-1", "device": true}),
        json!({"kind": "property_returned", "person": "V1", "item": "EX-PH-1"}),
        json!({"kind": "property_retained", "person": "V1", "item": "EX-PH-2", "reason": "exhibit for trial"}),
        json!({"kind": "decision_recorded", "topic": "bail", "decision": "bail with conditions", "rationale": "protect the victim", "officer": "4471"}),
        json!({"kind": "note", "text": "whole-story note"}),
    ]
}

#[test]
fn every_kind_parses_and_writes_back_the_same_fields() {
    let samples = one_of_each_kind();
    assert_eq!(samples.len(), Kind::COUNT, "one sample per kind");
    for sample in samples {
        let input = line(sample);
        let record = parse_record(&input).unwrap_or_else(|error| panic!("{input}: {error}"));
        assert!(record.event.extra.is_none(), "{input}: no unknown fields");
        let original: Value = serde_json::from_str(&input).expect("json");
        let written = Value::Object(record.to_json());
        assert_eq!(normalise(original), normalise(written), "{input}");
    }
}

/// Timestamps may be written with a different but equal spelling (`+00:00` as `Z`).
fn normalise(value: Value) -> Value {
    match value {
        Value::String(text) => match chrono::DateTime::parse_from_rfc3339(&text) {
            Ok(at) => Value::String(at.to_rfc3339()),
            Err(_) => Value::String(text),
        },
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, normalise(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(normalise).collect()),
        other => other,
    }
}

#[test]
fn unknown_fields_are_kept_and_written_back_unchanged() {
    let input = line(
        json!({"kind": "note", "text": "t", "local_ref": {"system": "NICHE", "id": [1, 2]}, "x_flag": null,
        "identity_extra": 1}),
    );
    let record = parse_record(&input).expect("valid");
    let extra = record.event.extra.as_ref().expect("kept");
    assert_eq!(
        extra.get("local_ref"),
        Some(&json!({"system": "NICHE", "id": [1, 2]}))
    );
    assert_eq!(extra.get("x_flag"), Some(&Value::Null));
    let written = Value::Object(record.to_json());
    assert_eq!(
        written,
        serde_json::from_str::<Value>(&input).expect("json")
    );
    // Unknown identity fields are kept inside the identity.
    let person = line(
        json!({"kind": "person_added", "person": "V1", "role": "victim", "identity": {"given_name": "Ava", "preferred_name": "Ave"}}),
    );
    let record = parse_record(&person).expect("valid");
    assert_eq!(
        Value::Object(record.to_json()),
        serde_json::from_str::<Value>(&person).expect("json")
    );
}

#[test]
fn errors_name_the_field() {
    let error = error_of(json!({"kind": "suspect_arrested", "person": 7}));
    assert_eq!(error.field.as_deref(), Some("person"));
    assert!(
        error
            .to_string()
            .starts_with("field `person`: invalid type"),
        "{error}"
    );

    let error = error_of(json!({"kind": "suspect_arrested"}));
    assert_eq!(error.to_string(), "missing field `person`");

    let error = error_of(json!({"kind": "victim_informed", "person": "V1", "about": "gossip"}));
    assert_eq!(error.field.as_deref(), Some("about"));

    let error = error_of(
        json!({"kind": "device_extraction", "person": "V1", "rationale": {"relevance": 3}}),
    );
    assert_eq!(error.field.as_deref(), Some("rationale.relevance"));

    let error = error_of(json!({"kind": "teleported"}));
    assert_eq!(error.to_string(), "field `kind`: unknown kind `teleported`");

    let error = error_of(json!({"kind": "note", "at": "6 March 2026"}));
    assert_eq!(error.field.as_deref(), Some("at"));

    let error = parse_record(r#"{"force": "x", "at": "2026-03-06T10:00:00Z", "kind": "note"}"#)
        .expect_err("no case");
    assert_eq!(error.to_string(), "field `case`: missing required field");

    let error = error_of(json!({"kind": "note", "force": "Example Shire"}));
    assert_eq!(error.field.as_deref(), Some("force"));

    let error = parse_record("[1, 2]").expect_err("not an object");
    assert_eq!(error.to_string(), "expected a JSON object");
    let error = parse_record("{\"case\": ").expect_err("not json");
    assert!(error.to_string().starts_with("not valid JSON"), "{error}");
}

#[test]
fn a_timestamp_without_an_offset_is_refused() {
    let error = error_of(json!({"kind": "note", "at": "2026-03-06T10:00:00"}));
    assert_eq!(error.field.as_deref(), Some("at"));
}

#[test]
fn identity_never_appears_in_debug_output() {
    let input = line(
        json!({"kind": "person_added", "person": "V1", "role": "victim", "identity": {"given_name": "Zinnia", "family_name": "Trevethan"}}),
    );
    let record = parse_record(&input).expect("valid");
    let debug = format!("{record:?}");
    assert!(
        !debug.contains("Zinnia") && !debug.contains("Trevethan"),
        "{debug}"
    );
}

#[test]
fn errors_in_identity_fields_never_quote_the_value() {
    for identity in [
        json!({"given_name": "Zinnia", "aliases": "Zinnia Trevethan-Marsh"}),
        json!({"given_name": ["Zinnia"]}),
        json!("Zinnia Trevethan-Marsh"),
        json!({"date_of_birth": "Trevethan"}),
    ] {
        let text = line(
            json!({"kind": "person_added", "person": "V1", "role": "victim", "identity": identity}),
        );
        let error = parse_record(&text).expect_err("a bad identity is refused");
        let shown = error.to_string();
        assert!(
            error
                .field
                .as_deref()
                .is_some_and(|f| f.starts_with("identity")),
            "{shown}"
        );
        assert!(
            !shown.contains("Zinnia") && !shown.contains("Trevethan"),
            "{shown}"
        );
        assert!(shown.contains("identity is sealed"), "{shown}");
    }
    // Other fields keep their full message: it names what was wrong.
    let text = line(json!({"kind": "person_added", "person": "V1", "role": "victum"}));
    let shown = parse_record(&text).expect_err("bad role").to_string();
    assert!(shown.contains("victum"), "{shown}");
}

#[test]
fn envelope_values_and_person_keys_have_a_length_limit() {
    let long = "R".repeat(limits::REFERENCE + 1);
    for (field, object) in [
        (
            "case",
            json!({"case": long, "force": "exampleshire", "at": "2026-01-01T00:00:00Z", "kind": "note", "text": "x"}),
        ),
        (
            "force",
            json!({"case": "EX-1", "force": "f".repeat(limits::FORCE + 1), "at": "2026-01-01T00:00:00Z", "kind": "note", "text": "x"}),
        ),
        (
            "id",
            json!({"case": "EX-1", "force": "exampleshire", "id": "i".repeat(limits::ID + 1), "at": "2026-01-01T00:00:00Z", "kind": "note", "text": "x"}),
        ),
        (
            "person",
            json!({"case": "EX-1", "force": "exampleshire", "at": "2026-01-01T00:00:00Z", "kind": "needs_assessment", "person": "V".repeat(limits::PERSON + 1)}),
        ),
    ] {
        let error = parse_record(&object.to_string()).expect_err("too long");
        assert_eq!(error.field.as_deref(), Some(field), "{error}");
        assert!(error.message.contains("at most"), "{error}");
    }
    let at_limit = json!({"case": "R".repeat(limits::REFERENCE), "force": "exampleshire", "at": "2026-01-01T00:00:00Z", "kind": "note", "text": "x"});
    assert!(parse_record(&at_limit.to_string()).is_ok());
    let control = json!({"case": "EX-\u{7}1", "force": "exampleshire", "at": "2026-01-01T00:00:00Z", "kind": "note", "text": "x"});
    assert_eq!(
        parse_record(&control.to_string())
            .expect_err("control")
            .field
            .as_deref(),
        Some("case")
    );
}

#[test]
fn fields_added_in_2026_parse_and_write_back() {
    // Every field added for `national-2026-01`, on the kinds that existed before.
    for sample in [
        json!({"kind": "report_received", "offences": ["SOA2003-s1"], "location": {"country": "GB", "nation": "scotland"}}),
        json!({"kind": "suspect_bailed", "person": "S1", "conditions": true, "victim_views_sought": false, "views_not_practicable": "victim abroad and not reachable"}),
        json!({"kind": "bail_extended", "person": "S1", "until": "2027-01-14", "authorised_by": "assistant_chief_constable", "designated_case": true}),
        json!({"kind": "bail_varied", "person": "S1", "victim_views_sought": true, "conditions_cancelled": true}),
        json!({"kind": "victim_informed", "person": "V1", "about": "bail_conditions_cancelled"}),
        json!({"kind": "victim_interviewed", "person": "V1", "mode": "abe", "gender_preference_asked": true, "further_interview_reason": "new disclosure"}),
        json!({"kind": "device_extraction", "person": "V1", "notice_given": true, "agreement_recorded": true, "rationale": {"relevance": "a", "necessity": "b", "proportionality": "c", "less_intrusive": "d"}, "no_undue_pressure": true, "confirmation_recorded": true, "copy_given": true, "lacks_capacity": true, "agreed_by": "responsible_adult"}),
        json!({"kind": "third_party_request", "person": "V1", "holder": "GP", "expected": "e", "line_of_enquiry": "l", "necessity": "n", "victim_informed": false, "held_because": "registered patient", "counselling": true, "probative_value": "p", "notice_withheld_reason": "w"}),
        json!({"kind": "charging_decision", "person": "S1", "test": "threshold", "threshold_conditions": ["reasonable_suspicion", "realistic_prospect", "public_interest"], "offences": []}),
    ] {
        let input = line(sample);
        let record = parse_record(&input).unwrap_or_else(|error| panic!("{input}: {error}"));
        assert!(record.event.extra.is_none(), "{input}: every field known");
        let original: Value = serde_json::from_str(&input).expect("json");
        assert_eq!(
            normalise(original),
            normalise(Value::Object(record.to_json())),
            "{input}"
        );
    }
    // A value outside the new lists is refused, naming the field.
    let error = error_of(
        json!({"kind": "report_received", "location": {"country": "GB", "nation": "mercia"}}),
    );
    assert_eq!(error.field.as_deref(), Some("location.nation"));
}

#[test]
fn events_written_before_2026_write_back_unchanged() {
    // The fields added for `national-2026-01` are left out when not given, so an event recorded
    // before keeps its exact form.
    for sample in [
        json!({"kind": "suspect_bailed", "person": "S1", "conditions": true, "victim_views_sought": true}),
        json!({"kind": "device_extraction", "person": "V1", "notice_given": true, "agreement_recorded": false, "rationale": {"relevance": "a", "necessity": "", "proportionality": "", "less_intrusive": ""}}),
        json!({"kind": "third_party_request", "person": "V1", "holder": "GP", "expected": "", "line_of_enquiry": "", "necessity": "", "victim_informed": true}),
    ] {
        let input = line(sample);
        let record = parse_record(&input).expect("valid");
        assert_eq!(
            Value::Object(record.to_json()),
            serde_json::from_str::<Value>(&input).expect("json"),
            "{input}"
        );
    }
}
