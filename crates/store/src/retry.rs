//! Retrying what may pass: a store that is briefly unavailable, a document many writers
//! are changing at once. Exponential backoff with jitter, bounded.

use std::time::Duration;

use crate::error::Error;

/// How often and how long to retry.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    /// Attempts in all (the first included).
    pub attempts: u32,
    /// The first wait.
    pub first: Duration,
    /// The longest wait.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            attempts: 5,
            first: Duration::from_millis(200),
            max: Duration::from_secs(10),
        }
    }
}

impl Backoff {
    /// The wait before attempt `n` (1-based, after a failure of attempt `n - 1`): doubling
    /// from `first`, at most `max`, with up to 50 % jitter so writers that collided do not
    /// collide again.
    pub fn wait(&self, n: u32) -> Duration {
        let base = self.first.saturating_mul(1 << n.saturating_sub(1).min(16));
        let base = base.min(self.max);
        base + base.mul_f64(0.5 * jitter())
    }

    /// Runs `f` until it succeeds, fails with an error that will not pass, or has been
    /// tried `attempts` times; `what` names it in the log.
    pub fn run<T>(&self, what: &str, mut f: impl FnMut() -> Result<T, Error>) -> Result<T, Error> {
        let mut n = 1;
        loop {
            match f() {
                Err(e) if e.is_transient() && n < self.attempts => {
                    let wait = self.wait(n);
                    tracing::warn!(
                        "{what}: {e}; attempt {} of {} in {wait:?}",
                        n + 1,
                        self.attempts
                    );
                    std::thread::sleep(wait);
                    n += 1;
                }
                r => return r,
            }
        }
    }
}

/// A number in [0, 1) that differs between processes and calls (for jitter only).
pub(crate) fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}
