//! The bulk loader for benchmark databases stores exactly what appends store, on SQLite and (when
//! `RASSO_TEST_PG` is set) PostgreSQL.

mod common;

use storage::conformance::{bulk_load_stores_what_append_stores, bulk_sample};
use storage::postgres::drop_schema;
use storage::prelude::*;
use storage::{Access, PgOptions, PgStore, Purpose};

fn importer() -> Access {
    Access::new("user:4471", Purpose::Import)
}

#[test]
fn sqlite_bulk_load_stores_what_append_stores() {
    let root = tempfile::tempdir().expect("tempdir");
    common::runtime().block_on(async {
        let bulk = common::open(&common::fresh_path(root.path()))
            .await
            .expect("store");
        let appended = common::open(&common::fresh_path(root.path()))
            .await
            .expect("store");
        assert_eq!(
            bulk.bulk_load(&importer(), bulk_sample())
                .await
                .expect("bulk load"),
            3
        );
        appended
            .append(&importer(), bulk_sample())
            .await
            .expect("append");
        bulk_load_stores_what_append_stores(&bulk, &appended)
            .await
            .expect("same rows");
        let trusted = common::keys().1.verifying_key();
        assert!(bulk.verify_audit(&trusted).await.expect("verify").is_ok());
        // A case that already exists fails the whole load.
        assert!(bulk.bulk_load(&importer(), bulk_sample()).await.is_err());
        assert_eq!(
            bulk.list_cases(&importer(), &storage::CaseFilter::default())
                .await
                .expect("list")
                .len(),
            3
        );
    });
}

#[test]
fn postgres_bulk_load_stores_what_append_stores() {
    let Ok(url) = std::env::var("RASSO_TEST_PG") else {
        eprintln!("skipped: set RASSO_TEST_PG to a PostgreSQL URL to run it");
        return;
    };
    common::runtime().block_on(async {
        let schemas = [
            format!("rasso_test_{:016x}", rand::random::<u64>()),
            format!("rasso_test_{:016x}", rand::random::<u64>()),
        ];
        let open = |schema: &str| {
            let (master_key, signer) = common::keys();
            let mut options = PgOptions::new(url.clone(), master_key, signer);
            options.schema = Some(schema.to_owned());
            options.max_connections = 2;
            PgStore::open(options)
        };
        let result = async {
            let bulk = open(&schemas[0]).await?;
            let appended = open(&schemas[1]).await?;
            assert_eq!(bulk.bulk_load(&importer(), bulk_sample()).await?, 3);
            appended.append(&importer(), bulk_sample()).await?;
            bulk_load_stores_what_append_stores(&bulk, &appended).await?;
            let trusted = common::keys().1.verifying_key();
            assert!(bulk.verify_audit(&trusted).await?.is_ok());
            bulk.close().await;
            appended.close().await;
            storage::StoreResult::Ok(())
        }
        .await;
        for schema in &schemas {
            drop_schema(&url, schema).await.expect("drop schema");
        }
        result.expect("same rows");
    });
}
