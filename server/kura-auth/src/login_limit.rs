//! Sign-in attempts are limited per account *and* client address, and per address, so that
//! passwords cannot be guessed at speed while nobody can lock someone else out.
//!
//! - Per (account, address) pair: [`FREE_ATTEMPTS`] failures are free, then each further attempt
//!   waits a delay that doubles per failure (30 s, 1 min, 2 min … at most [`MAX_DELAY`]). A failure
//!   from another address does not delay the account's owner.
//! - Per address: at most [`PER_ADDRESS`] failures within [`WINDOW`], across accounts (spraying
//!   one password over many names).
//!
//! An attempt is counted when it *begins*, atomically with the check, as a failure that a
//! success takes back: parallel attempts cannot slip past the count while their passwords are
//! being checked. The counts live in the credential store (the catalog), so every Kura process
//! behind a load balancer counts the same failures; this module holds the rule, and
//! [`MemoryLedger`] the same bookkeeping in memory for tests.

use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Failures per (account, address) before the delay starts.
pub const FREE_ATTEMPTS: u32 = 5;
/// The wait after the first failure beyond the free ones; each further failure doubles it.
pub const FIRST_DELAY: Duration = Duration::from_secs(30);
/// The longest delay between attempts of one (account, address) pair.
pub const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
/// Failures allowed per client address within the window (several accounts behind one NAT).
pub const PER_ADDRESS: usize = 20;
/// How long failures are remembered after a pair's last one, and per address.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// What is remembered before an attempt begins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Failures {
    /// The pair's failures since its last success: how many, and the last one's time.
    pub pair: Option<(u32, DateTime<Utc>)>,
    /// The times of the address's failures (any account), within the window before now.
    pub address: Vec<DateTime<Utc>>,
}

/// The key a pair's failures are kept under: account names are compared case-insensitively.
pub fn account_key(account: &str) -> String {
    account.to_lowercase()
}

/// The wait before the next attempt after `count` failures of a pair.
fn delay_after(count: u32) -> Duration {
    match count.checked_sub(FREE_ATTEMPTS) {
        None => Duration::ZERO,
        Some(over) => (FIRST_DELAY * (1u32 << over.min(16))).min(MAX_DELAY),
    }
}

fn since(earlier: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    (now - earlier).to_std().unwrap_or_default()
}

/// How long an attempt must wait given the remembered failures (zero: it may begin). A pair
/// whose last failure is older than [`WINDOW`] is forgotten.
pub fn wait_before(failures: &Failures, now: DateTime<Utc>) -> Duration {
    let mut wait = Duration::ZERO;
    if let Some((count, last)) = failures.pair
        && since(last, now) < WINDOW
    {
        wait = delay_after(count).saturating_sub(since(last, now));
    }
    let recent: Vec<&DateTime<Utc>> = failures.address.iter().filter(|t| since(**t, now) < WINDOW).collect();
    if recent.len() >= PER_ADDRESS
        && let Some(oldest) = recent.iter().min()
    {
        wait = wait.max(WINDOW.saturating_sub(since(**oldest, now)));
    }
    wait
}

/// The bookkeeping of [`wait_before`] in memory (one process): for tests and for stores that
/// have no shared place to keep it.
#[derive(Debug, Default)]
pub struct MemoryLedger {
    failures: Mutex<Vec<Failure>>,
}

#[derive(Debug, Clone)]
struct Failure {
    id: Uuid,
    account: String,
    address: Option<IpAddr>,
    at: DateTime<Utc>,
    /// Taken back from the pair by a later success (it still counts for the address).
    cleared: bool,
}

impl MemoryLedger {
    /// Begins an attempt: `Err(wait)` when it must wait, else the attempt's id, counted as a
    /// failure until [`MemoryLedger::succeeded`].
    pub fn begin(&self, account: &str, address: Option<IpAddr>, now: DateTime<Utc>) -> Result<Uuid, Duration> {
        let account = account_key(account);
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let pair: Vec<&Failure> =
            failures.iter().filter(|f| !f.cleared && f.account == account && f.address == address).collect();
        let last = pair.iter().map(|f| f.at).max();
        let remembered = Failures {
            pair: last.map(|last| (pair.len() as u32, last)),
            address: match address {
                Some(ip) => failures.iter().filter(|f| f.address == Some(ip)).map(|f| f.at).collect(),
                None => Vec::new(),
            },
        };
        let wait = wait_before(&remembered, now);
        if !wait.is_zero() {
            return Err(wait);
        }
        if last.is_some_and(|last| since(last, now) >= WINDOW) {
            failures.retain(|f| f.cleared || f.account != account || f.address != address);
        }
        let id = Uuid::now_v7();
        failures.push(Failure { id, account, address, at: now, cleared: false });
        Ok(id)
    }

    /// The attempt's password was right: the pair's failures are forgotten and the attempt is
    /// taken back from its address's count.
    pub fn succeeded(&self, attempt: Uuid) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let Some(i) = failures.iter().position(|f| f.id == attempt) else { return };
        let done = failures.remove(i);
        for f in failures.iter_mut().filter(|f| f.account == done.account && f.address == done.address) {
            f.cleared = true;
        }
    }
}

/// Checks `password` against `stored` (the PHC hash of an enabled account, `None` when there
/// is no such account — then a throwaway hash is checked so that timing does not reveal which
/// names exist). Blocking (Argon2 is slow on purpose): call it off the async threads.
pub fn password_matches(password: &str, stored: Option<&str>) -> bool {
    match stored {
        Some(hash) => crate::verify_password(password, hash),
        None => {
            let _ = crate::verify_password(password, &DUMMY_HASH);
            false
        }
    }
}

/// An Argon2id hash of a random password, checked against when the account does not exist.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let mut secret = [0u8; 24];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut secret);
    crate::hash_password(&base64::Engine::encode(&base64::engine::general_purpose::STANDARD, secret))
        .unwrap_or_default()
});

#[cfg(test)]
mod tests {
    use super::*;

    fn fail(ledger: &MemoryLedger, account: &str, ip: Option<IpAddr>, now: DateTime<Utc>) -> Result<(), Duration> {
        ledger.begin(account, ip, now).map(drop)
    }

    fn later(now: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
        now + chrono::Duration::from_std(by).unwrap()
    }

    #[test]
    fn a_pair_waits_longer_after_each_failure_beyond_the_free_ones() {
        let ledger = MemoryLedger::default();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let start = Utc::now();
        for _ in 0..FREE_ATTEMPTS {
            assert!(fail(&ledger, "Alice", Some(ip), start).is_ok());
        }
        assert_eq!(ledger.begin("alice", Some(ip), start).unwrap_err(), FIRST_DELAY);
        let next = later(start, FIRST_DELAY);
        assert!(fail(&ledger, "alice", Some(ip), next).is_ok());
        assert_eq!(ledger.begin("alice", Some(ip), next).unwrap_err(), 2 * FIRST_DELAY);
        assert_eq!(delay_after(FREE_ATTEMPTS + 40), MAX_DELAY, "the delay stops growing");
        assert!(
            ledger.begin("alice", Some(ip), later(next, WINDOW)).is_ok(),
            "failures are forgotten after the window"
        );
    }

    #[test]
    fn failures_from_one_address_do_not_lock_the_account_elsewhere() {
        let ledger = MemoryLedger::default();
        let attacker: IpAddr = "192.0.2.66".parse().unwrap();
        let owner: IpAddr = "198.51.100.7".parse().unwrap();
        let now = Utc::now();
        for _ in 0..FREE_ATTEMPTS {
            fail(&ledger, "alice", Some(attacker), now).unwrap();
        }
        assert!(ledger.begin("alice", Some(attacker), now).is_err());
        let attempt = ledger.begin("alice", Some(owner), now).expect("the owner still signs in");
        ledger.succeeded(attempt);
    }

    #[test]
    fn an_address_is_limited_across_accounts_and_success_takes_the_attempt_back() {
        let ledger = MemoryLedger::default();
        let ip: IpAddr = "192.0.2.9".parse().unwrap();
        let now = Utc::now();
        for i in 0..PER_ADDRESS - 1 {
            fail(&ledger, &format!("user{i}"), Some(ip), now).unwrap();
        }
        let attempt = ledger.begin("carol", Some(ip), now).unwrap();
        ledger.succeeded(attempt);
        fail(&ledger, "dave", Some(ip), now).unwrap();
        assert!(ledger.begin("someone-else", Some(ip), now).is_err());
        assert!(ledger.begin("someone-else", None, now).is_ok());
    }

    #[test]
    fn a_success_forgets_the_pairs_failures_but_not_the_addresss() {
        let ledger = MemoryLedger::default();
        let ip: IpAddr = "192.0.2.10".parse().unwrap();
        let now = Utc::now();
        for _ in 0..FREE_ATTEMPTS - 1 {
            fail(&ledger, "erin", Some(ip), now).unwrap();
        }
        let attempt = ledger.begin("erin", Some(ip), now).unwrap();
        ledger.succeeded(attempt);
        for _ in 0..FREE_ATTEMPTS {
            fail(&ledger, "erin", Some(ip), now).unwrap();
        }
        assert!(ledger.begin("erin", Some(ip), now).is_err());
        let remembered = Failures { pair: None, address: vec![now; PER_ADDRESS] };
        assert_eq!(wait_before(&remembered, now), WINDOW);
    }

    #[test]
    fn parallel_attempts_are_counted_before_any_is_checked() {
        let ledger = std::sync::Arc::new(MemoryLedger::default());
        let ip: IpAddr = "192.0.2.40".parse().unwrap();
        let now = Utc::now();
        let admitted: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..40).map(|_| s.spawn(|| fail(&ledger, "alice", Some(ip), now).is_ok())).collect();
            handles.into_iter().map(|h| usize::from(h.join().unwrap())).sum()
        });
        assert_eq!(admitted, FREE_ATTEMPTS as usize);
    }
}
