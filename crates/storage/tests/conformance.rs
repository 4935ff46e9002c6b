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

#[test]
fn sqlite_keeps_force_plugins_findings_in_report_facts() {
    let root = tempfile::tempdir().expect("tempdir");
    common::runtime().block_on(async {
        let plugin = std::sync::Arc::new(storage::conformance::TestPlugin::new());
        let mut store = common::open(&common::fresh_path(root.path()))
            .await
            .expect("open");
        store
            .attach_plugin_rules(plugin.clone())
            .await
            .expect("attach");
        storage::conformance::plugin_report_facts(&store, &plugin)
            .await
            .expect("plugin facts");
        storage::conformance::check_audit(&store, &common::keys().1.verifying_key())
            .await
            .expect("audit");
    });
}
