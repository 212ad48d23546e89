//! A stream table as one process knows it: the latest committed snapshot (which followers
//! watch), and the lock that keeps this process to one commit or compaction at a time. What
//! waits for a commit is in the catalog, not here.

use tokio::sync::{Mutex, watch};
use uuid::Uuid;

#[derive(Debug)]
pub(crate) struct Table {
    pub id: Uuid,
    /// One commit or compaction at a time in this process (other processes: the lease).
    pub committing: Mutex<()>,
    /// The latest committed snapshot, whichever process committed it.
    pub latest: watch::Sender<i64>,
}
