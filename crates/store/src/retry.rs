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
    pub fn run<T>(&self, what: &str, f: impl FnMut() -> Result<T, Error>) -> Result<T, Error> {
        self.run_with(what, Error::is_transient, f)
    }

    /// [`Backoff::run`] for any error type, `transient` saying which errors may pass.
    pub fn run_with<T, E: std::fmt::Display>(
        &self,
        what: &str,
        transient: impl Fn(&E) -> bool,
        mut f: impl FnMut() -> Result<T, E>,
    ) -> Result<T, E> {
        let mut n = 1;
        loop {
            match f() {
                Err(e) if transient(&e) && n < self.attempts => {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn unavailable() -> Error {
        Error::Unavailable {
            location: "s3://b".into(),
            message: "connection refused".into(),
        }
    }

    #[test]
    fn transient_errors_are_retried_and_others_are_not() {
        let quick = Backoff {
            attempts: 4,
            first: Duration::from_millis(1),
            max: Duration::from_millis(2),
        };
        let mut calls = 0;
        let r = quick.run("x", || {
            calls += 1;
            if calls < 3 {
                Err(unavailable())
            } else {
                Ok(calls)
            }
        });
        assert_eq!(r.unwrap(), 3);
        let mut calls = 0;
        let r: Result<(), _> = quick.run("x", || {
            calls += 1;
            Err(unavailable())
        });
        assert!(r.is_err());
        assert_eq!(calls, 4, "gives up after the attempts allowed");
        let mut calls = 0;
        let r: Result<(), _> = quick.run("x", || {
            calls += 1;
            Err(Error::Registry("bad tag".into()))
        });
        assert!(r.is_err());
        assert_eq!(calls, 1, "an error that will not pass is not retried");
    }

    #[test]
    fn waits_double_up_to_the_maximum() {
        let b = Backoff {
            attempts: 10,
            first: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
        for n in 1..10 {
            let w = b.wait(n);
            let base = Duration::from_millis(100 * (1 << (n - 1))).min(Duration::from_secs(1));
            assert!(w >= base && w <= base.mul_f64(1.5), "attempt {n}: {w:?}");
        }
    }
}
