//! The pool of unprivileged uids runs use (root mode): one uid per concurrent run, so that the
//! process limit counts that run alone.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use crate::SandboxError;

#[derive(Debug, Clone)]
pub(crate) struct UidPool {
    pub(crate) start: u32,
    pub(crate) count: u32,
    pub(crate) used: Arc<Mutex<BTreeSet<u32>>>,
}

pub(crate) struct UidLease {
    pub(crate) uid: u32,
    pub(crate) used: Arc<Mutex<BTreeSet<u32>>>,
}

impl Drop for UidLease {
    fn drop(&mut self) {
        self.used.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.uid);
    }
}

impl UidPool {
    pub(crate) fn lease(&self) -> Result<UidLease, SandboxError> {
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        let uid = (self.start..self.start.saturating_add(self.count))
            .find(|u| !used.contains(u))
            .ok_or(SandboxError::Busy(self.count))?;
        used.insert(uid);
        Ok(UidLease { uid, used: self.used.clone() })
    }
}
