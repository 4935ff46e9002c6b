//! Suspect linkage on PostgreSQL beyond what `crate::engine` does for both stores: the lookup
//! the link benchmark times.

use domain::CaseKey;
use domain::interchange::Identity;

use super::PgStore;
use crate::error::StoreResult;
use crate::linking::LinkMatch;

impl PgStore {
    /// The candidate lookup without its audit record, acting for `actor` (see
    /// [`crate::SqliteStore::lookup_candidates`]).
    #[doc(hidden)]
    pub async fn lookup_candidates(
        &self,
        actor: &str,
        identity: &Identity,
        exclude_case: Option<&CaseKey>,
    ) -> StoreResult<Vec<LinkMatch>> {
        crate::engine::lookup_candidates(self, actor, identity, exclude_case).await
    }
}
