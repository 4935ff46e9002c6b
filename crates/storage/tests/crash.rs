//! Crash safety: a writer process killed with SIGKILL at random moments, 55 times; every
//! acknowledged write must be stored, the integrity check pass and the audit chain verify.

use std::path::PathBuf;
use std::time::Duration;

#[test]
fn acknowledged_writes_survive_sigkill() {
    let root = tempfile::tempdir().expect("tempdir");
    let config = storage::crash::CrashConfig {
        writer: PathBuf::from(env!("CARGO_BIN_EXE_storage-crash-writer")),
        dir: root.path().join("crash"),
        runs: 55,
        seed: 20_260_301,
        min_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(250),
    };
    let report = storage::crash::run_campaign(&config).expect("crash campaign");
    assert_eq!(report.kills, 55);
    assert!(
        report.acknowledged > 0,
        "the writers acknowledged some writes"
    );
    assert!(report.stored >= report.acknowledged);
    eprintln!("{report:?}");
}
