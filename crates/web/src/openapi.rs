//! The OpenAPI 3.1 document of the JSON API, written by hand next to the handlers it describes
//! (a test checks that every `/api/` route is in it).

use serde_json::{Value, json};

fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

fn ok(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"type": "object"}}}})
}

fn case_params() -> Value {
    json!([
        {"name": "force", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[a-z0-9-]+$"}},
        {"name": "case", "in": "path", "required": true, "schema": {"type": "string"}}
    ])
}

fn standard_errors(mut responses: serde_json::Map<String, Value>) -> Value {
    responses.insert(
        "400".into(),
        error_response("Bad input; `field` names the field at fault"),
    );
    responses.insert(
        "401".into(),
        error_response("Not signed in, or the session ended"),
    );
    responses.insert("403".into(), error_response("Not permitted for this role"));
    responses.insert(
        "404".into(),
        error_response("No such case, or not visible to this user"),
    );
    Value::Object(responses)
}

fn responses(code: &str, description: &str) -> Value {
    let mut map = serde_json::Map::new();
    map.insert(code.into(), ok(description));
    standard_errors(map)
}

/// The document.
pub fn document() -> Value {
    let mut document = base_document();
    if let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) {
        paths.extend(link_paths());
    }
    document
}

/// The repeat-suspect routes (`crate::links`).
fn link_paths() -> serde_json::Map<String, Value> {
    let mut case_link_params = case_params();
    if let Some(list) = case_link_params.as_array_mut() {
        list.push(
            json!({"name": "link", "in": "path", "required": true, "schema": {"type": "integer"}}),
        );
    }
    let mut paths = serde_json::Map::new();
    paths.insert(
        "/api/cases/{force}/{case}/links".into(),
        json!({"get": {"summary": "Repeat-suspect links of the case's suspects (suggested, confirmed, rejected). The other case and person are given only when you may read that case; otherwise its force and the officer to contact.",
            "parameters": case_params(), "responses": responses("200", "`links` (id, status, score, person, reasons, other_force, contact, other_case, other_person, decided, rationale) and `can_decide`")}}),
    );
    paths.insert(
        "/api/cases/{force}/{case}/links/{link}".into(),
        json!({"post": {"summary": "Confirm or reject a link of the case (investigators and supervisors of the case, analysts); recorded in the audit log of both cases",
            "parameters": case_link_params,
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["decision", "reason"], "properties": {"decision": {"type": "string", "enum": ["confirm", "reject"]}, "reason": {"type": "string", "minLength": 5}}}}}},
            "responses": responses("200", "The link's id and new status")}}),
    );
    paths
}

fn base_document() -> Value {
    let mut document = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "rasso API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Case work for RASSO investigations. Sign in with POST /api/session and send the token as `Authorization: Bearer TOKEN`. Every read or change of case data is audited. Victim identity never appears in URLs: people are named by their key on the case (V1, S1)."
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["code", "message"], "properties": {
                    "code": {"type": "string", "description": "Stable: not_found, invalid_input, bad_request, unauthenticated, forbidden, csrf, conflict, sign_in_failed, would_breach, internal"},
                    "message": {"type": "string"},
                    "field": {"type": "string", "description": "The field at fault, for invalid_input"}
                }},
                "Finding": {"type": "object", "description": "A finding as `rasso check --format json` prints it, with `title`, `due_local` and `guidance_title` added."},
                "Event": {"type": "object", "required": ["kind"], "description": "An interchange event object without `case` and `force` (they come from the path). `at` defaults to now and `id` to a fresh one.", "properties": {"kind": {"type": "string"}, "at": {"type": "string", "format": "date-time"}, "id": {"type": "string"}, "person": {"type": "string"}}, "additionalProperties": true}
            }
        },
        "security": [{"bearer": []}],
        "paths": {
            "/api/session": {
                "post": {"summary": "Sign in", "security": [], "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["username", "password"], "properties": {"username": {"type": "string"}, "password": {"type": "string"}}}}}},
                    "responses": {"201": ok("A bearer token"), "400": error_response("Bad input"), "401": error_response("Wrong username or password, or locked (the same answer either way)")}},
                "delete": {"summary": "Sign out (the session ends server-side)", "responses": {"204": {"description": "Signed out"}, "401": error_response("Not signed in")}}
            },
            "/api/caseload": {"get": {"summary": "My open cases, most urgent first", "responses": responses("200", "Cases with counts of open and overdue findings")}},
            "/api/team": {"get": {"summary": "Supervisor view: team cases, caseload per officer, overdue findings, reviews due", "responses": responses("200", "Team view")}},
            "/api/cases/{force}/{case}": {"get": {"summary": "One case: findings, people (identity sealed), timeline, decision log", "parameters": case_params(), "responses": responses("200", "The case")}},
            "/api/cases/{force}/{case}/events": {"post": {"summary": "Record an event", "parameters": case_params().as_array().cloned().unwrap_or_default().into_iter().chain([json!({"name": "confirm", "in": "query", "schema": {"type": "boolean"}, "description": "Record even if it creates a breach"}), json!({"name": "expected_version", "in": "query", "schema": {"type": "integer", "minimum": 0}, "description": "Record only if the case is still at this version (the `version` of the case as read); otherwise 409 `conflict`: read it again and retry. An event whose `id` is already stored is accepted again without change"})]).collect::<Vec<_>>(),
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Event"}}}},
                "responses": {
                    "201": ok("Recorded; the case as it now is"),
                    "400": error_response("Bad input; `field` names the field"),
                    "401": error_response("Not signed in"), "403": error_response("Not permitted"), "404": error_response("No such case"),
                    "409": error_response("`would_breach` (findings listed; send again with confirm=true) or `conflict` (the case changed)")
                }}},
            "/api/cases/{force}/{case}/people/{person}/identity": {"post": {"summary": "Unseal a person's identity (audited; a reason is required outside the case team)", "parameters": case_params().as_array().cloned().unwrap_or_default().into_iter().chain([json!({"name": "person", "in": "path", "required": true, "schema": {"type": "string"}})]).collect::<Vec<_>>(),
                "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {"reason": {"type": "string"}}}}}},
                "responses": responses("200", "The name")}},
            "/api/cases/{force}/{case}/audit": {"get": {"summary": "Who accessed the case, when and why (supervisors and leaders)", "parameters": case_params(), "responses": responses("200", "Audit records, newest first")}},
            "/api/break-glass": {"post": {"summary": "Declare break-glass access to a case outside your team (audited, shown to its supervisor)",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["force", "case", "reason"], "properties": {"force": {"type": "string"}, "case": {"type": "string"}, "reason": {"type": "string", "minLength": 10}}}}}},
                "responses": {"204": {"description": "Access granted for this session"}, "400": error_response("Bad input"), "401": error_response("Not signed in"), "403": error_response("Not permitted for this role"), "404": error_response("No such case")}}},
            "/api/guidance": {"get": {"summary": "Search or browse guidance", "parameters": [
                {"name": "q", "in": "query", "schema": {"type": "string"}},
                {"name": "role", "in": "query", "schema": {"type": "string"}},
                {"name": "stage", "in": "query", "schema": {"type": "string"}}], "responses": responses("200", "Pages")}},
            "/api/guidance/{id}": {"get": {"summary": "One guidance page", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}], "responses": responses("200", "The page")}},
            "/api/reports/leaders": {"get": {"summary": "Performance and compliance report for the user's force", "parameters": [
                {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
                {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}}], "responses": responses("200", "The report")}},
            "/api/openapi.json": {"get": {"summary": "This document", "security": [], "responses": {"200": ok("OpenAPI 3.1")}}}
        }
    });
    if let Some(paths) = document["paths"].as_object_mut() {
        paths.extend(sharing_paths());
    }
    document
}

/// Sharing cases with partners (see `crate::sharing`).
fn sharing_paths() -> serde_json::Map<String, Value> {
    let share_id = json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}});
    let mut with_id = case_params().as_array().cloned().unwrap_or_default();
    with_id.push(share_id);
    let items = json!({"type": "array", "items": {"type": "string", "enum": ["status", "officer_in_case", "victim_informed", "updates_due"]}, "minItems": 1});
    let paths = json!({
        "/api/shared": {"get": {"summary": "Partners: the cases shared with me", "responses": responses("200", "Shared cases (the share records; no case data)")}},
        "/api/shared/{force}/{case}": {"get": {"summary": "Partners: the restricted view of a case shared with me (only the items shared; audited as a disclosure to me)", "parameters": case_params(), "responses": responses("200", "The shared view")}},
        "/api/cases/{force}/{case}/shares": {"post": {"summary": "Case team: share the case with a partner user (audited as a disclosure to them)", "parameters": case_params(),
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["partner", "items", "reason"], "properties": {"partner": {"type": "string"}, "items": items, "reason": {"type": "string", "minLength": 10}}}}}},
            "responses": responses("201", "The share as recorded")}},
        "/api/cases/{force}/{case}/shares/{id}": {"delete": {"summary": "Case team: revoke a share (audited)", "parameters": with_id, "responses": responses("200", "The share, revoked")}}
    });
    match paths {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}
