//! The conformance suite on SQLite.

mod common;

#[test]
fn sqlite_passes_the_conformance_suite() {
    let root = tempfile::tempdir().expect("tempdir");
    common::runtime().block_on(async {
        storage::conformance::run_all(|| {
            let path = common::fresh_path(root.path());
            async move {
                let store = common::open(&path).await?;
                Ok((store, common::keys().1.verifying_key()))
            }
        })
        .await
        .expect("conformance suite");
    });
}
