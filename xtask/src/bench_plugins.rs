//! `cargo xtask bench plugins`: the per-case cost of a plugin rule against the same rule compiled
//! into the host, in the same run.
//!
//! The rule is Northmoor's `NM-SUP-24H`. "Compiled in" calls `northmoor::rules::evaluate` directly
//! (the very function the plugin exports) on a case snapshot built beforehand. "Plugin" goes the
//! whole way a loaded plugin goes for each case: snapshot, JSON, the C ABI on the plugin's worker
//! thread with its time limit, JSON back, and the host's validation of every finding. The national
//! rule set over the same cases is printed for scale. Both sides are built with the profile xtask
//! was built with; run `cargo run --release -p xtask -- bench plugins` for figures that matter.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use domain::Case;
use domain::interchange::parse_record;
use plugin_host::signing::{PublicKey, parse_secret_key, sign_folder};
use plugin_host::{HostConfig, PluginEntry, PluginHost, PluginState};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

const ROUNDS: usize = 3;

pub fn run(cases: usize) -> Result<()> {
    if cases == 0 {
        bail!("--cases must be at least 1");
    }
    let release = !cfg!(debug_assertions);
    let profile = if release { "release" } else { "dev (debug)" };
    eprintln!("building the northmoor plugin ({profile} profile, as this xtask)...");
    let target = crate::ci::root().join("target");
    let libraries =
        plugin_host::dev::build(&["northmoor"], &target, release).map_err(anyhow::Error::msg)?;
    let work = tempfile_dir()?;
    let dist = work.join("northmoor");
    plugin_host::package::assemble(
        &crate::ci::root().join("plugins/northmoor"),
        Some(&libraries.join(plugin_host::dev::library_name("northmoor"))),
        &dist,
    )?;
    let key = parse_secret_key(&rand::random::<[u8; 32]>())?;
    sign_folder(&dist, &key)?;
    let config = HostConfig {
        allow_unsigned: false,
        trusted_keys: vec![PublicKey(key.verifying_key())],
        plugins: vec![PluginEntry::new("northmoor", &dist)],
    };
    let host = PluginHost::load(&config, domain::RuleSet::national());
    let state = host.plugin("northmoor").map(|plugin| plugin.state());
    if state != Some(PluginState::Enabled) {
        bail!("northmoor did not load: {state:?}");
    }

    eprintln!("generating {cases} synthetic Northmoor cases...");
    let now: DateTime<Utc> = Utc
        .with_ymd_and_hms(2026, 6, 1, 12, 0, 0)
        .single()
        .context("bench instant")?;
    let cases = generate(cases, now)?;
    let events: usize = cases.iter().map(|case| case.events().len()).sum();
    let snapshots: Vec<_> = cases
        .iter()
        .map(|case| plugin_host::snapshot(case, now, false))
        .collect();

    let mut national = Duration::MAX;
    let mut compiled = Duration::MAX;
    let mut snapshot_and_compiled = Duration::MAX;
    let mut plugin = Duration::MAX;
    let mut compiled_count = 0;
    let mut plugin_count = 0;
    for round in 1..=ROUNDS {
        eprintln!("round {round} of {ROUNDS}...");
        let mut scratch = domain::rules::Scratch::default();
        let mut out = Vec::new();
        let start = Instant::now();
        for case in &cases {
            out.clear();
            host.rules()
                .evaluate_into(case, now, &mut scratch, &mut out);
            std::hint::black_box(&out);
        }
        national = national.min(start.elapsed());

        let start = Instant::now();
        compiled_count = 0;
        for snapshot in &snapshots {
            let findings = northmoor::rules::evaluate(std::hint::black_box(snapshot));
            compiled_count += findings.len();
            std::hint::black_box(findings);
        }
        compiled = compiled.min(start.elapsed());

        let start = Instant::now();
        for case in &cases {
            let snapshot = plugin_host::snapshot(case, now, false);
            std::hint::black_box(northmoor::rules::evaluate(&snapshot));
        }
        snapshot_and_compiled = snapshot_and_compiled.min(start.elapsed());

        let start = Instant::now();
        plugin_count = 0;
        for case in &cases {
            out.clear();
            host.plugin_findings_into(case, now, &mut out);
            plugin_count += out.len();
        }
        plugin = plugin.min(start.elapsed());
    }
    if host.plugin("northmoor").map(|plugin| plugin.state()) != Some(PluginState::Enabled) {
        bail!("the plugin was disabled during the benchmark");
    }
    if plugin_count != compiled_count {
        bail!("the plugin gave {plugin_count} findings, the compiled rule {compiled_count}");
    }

    let per_case = |total: Duration| total.as_secs_f64() * 1e9 / cases.len() as f64;
    println!(
        "bench plugins ({profile} profile): {} cases, {events} events, best of {ROUNDS} rounds",
        cases.len()
    );
    println!(
        "  national rule set (23 rules), for scale:   {:>10.0} ns/case",
        per_case(national)
    );
    println!(
        "  NM-SUP-24H compiled in (rule only):        {:>10.0} ns/case",
        per_case(compiled)
    );
    println!(
        "  NM-SUP-24H compiled in (+ case snapshot):  {:>10.0} ns/case",
        per_case(snapshot_and_compiled)
    );
    println!(
        "  NM-SUP-24H as a loaded plugin (end to end):{:>10.0} ns/case",
        per_case(plugin)
    );
    println!(
        "  ratio plugin / compiled-in rule:           {:>10.1}x",
        per_case(plugin) / per_case(compiled)
    );
    println!(
        "  ratio plugin / compiled-in with snapshot:  {:>10.1}x",
        per_case(plugin) / per_case(snapshot_and_compiled)
    );
    println!(
        "  ratio plugin / national rule set:          {:>10.2}x",
        per_case(plugin) / per_case(national)
    );
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}

fn tempfile_dir() -> Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("rasso-bench-plugins-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

/// Synthetic Northmoor cases of about 30 events each (seeded, so every run is the same).
fn generate(count: usize, now: DateTime<Utc>) -> Result<Vec<Case>> {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut records = Vec::with_capacity(count * 30);
    for index in 0..count {
        let reference = format!("NM-2026-{:06}", index % 1_000_000);
        let reported = now - Span::minutes(rng.random_range(60..=60 * 24 * 120));
        let mut at = reported;
        let line =
            |records: &mut Vec<_>, at: DateTime<Utc>, fields: serde_json::Value| -> Result<()> {
                let mut event =
                    json!({"case": reference, "force": "northmoor", "at": at.to_rfc3339()});
                if let (Some(event), Some(fields)) = (event.as_object_mut(), fields.as_object()) {
                    event.extend(fields.clone());
                }
                records.push(parse_record(&event.to_string()).map_err(anyhow::Error::msg)?);
                Ok(())
            };
        line(
            &mut records,
            at,
            json!({"kind": "report_received", "offences": ["SOA2003-s1"], "channel": "101"}),
        )?;
        line(
            &mut records,
            at,
            json!({"kind": "person_added", "person": "V1", "role": "victim", "identity": {"given_name": "Synthetic", "family_name": "Person"}}),
        )?;
        line(
            &mut records,
            at,
            json!({"kind": "person_added", "person": "S1", "role": "suspect"}),
        )?;
        at += Span::minutes(rng.random_range(10..600));
        line(
            &mut records,
            at,
            json!({"kind": "crime_recorded", "offences": ["SOA2003-s1"]}),
        )?;
        line(
            &mut records,
            at,
            json!({"kind": "officer_allocated", "officer": "5512", "role": "oic"}),
        )?;
        for kind in [
            "needs_assessment",
            "written_confirmation_sent",
            "isva_offered",
        ] {
            at += Span::minutes(rng.random_range(10..2_000));
            line(&mut records, at, json!({"kind": kind, "person": "V1"}))?;
        }
        line(
            &mut records,
            at,
            json!({"kind": "support_referral", "person": "V1", "service": "isva", "declined": false}),
        )?;
        if rng.random_bool(0.8) {
            let review = reported + Span::minutes(rng.random_range(30..3_000));
            line(
                &mut records,
                review,
                json!({"kind": "supervisor_review", "officer": "9001"}),
            )?;
        }
        at += Span::hours(rng.random_range(1..200));
        line(
            &mut records,
            at,
            json!({"kind": "suspect_arrested", "person": "S1"}),
        )?;
        line(
            &mut records,
            at + Span::hours(3),
            json!({"kind": "suspect_interviewed", "person": "S1", "under_caution": true}),
        )?;
        line(
            &mut records,
            at + Span::hours(20),
            json!({"kind": "victim_informed", "person": "V1", "about": "arrest"}),
        )?;
        while records.len() < (index + 1) * 30 {
            at += Span::hours(rng.random_range(1..100));
            if rng.random_bool(0.3) {
                line(
                    &mut records,
                    at,
                    json!({"kind": "supervisor_review", "officer": "9001"}),
                )?;
            } else {
                line(
                    &mut records,
                    at,
                    json!({"kind": "note", "text": "Synthetic note for the benchmark."}),
                )?;
            }
        }
    }
    Ok(Case::group(records))
}
