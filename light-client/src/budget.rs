//! How long a whole operation may spend on the network, and a way to stop it from another
//! thread. A [`Budget`] is shared by every node of a wallet: an operation (a sync, an
//! action) starts it with its allowance; each request stops at the earlier of its own
//! deadline and the budget's, and at once when the budget is cancelled (the user locked the
//! wallet). Nodes in memory ignore it.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A shared network allowance.
#[derive(Debug, Default)]
pub struct Budget {
    cancelled: AtomicBool,
    deadline: Mutex<Option<Instant>>,
}

impl Budget {
    /// A budget with no deadline, not cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Start an operation that may spend `allowance`: the deadline is set and a cancel from
    /// an earlier operation is cleared.
    pub fn start(&self, allowance: Duration) {
        self.cancelled.store(false, Ordering::SeqCst);
        *self.lock() = Instant::now().checked_add(allowance);
    }

    /// Stop whatever operation is running: its next look at the budget refuses it.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
    }

    /// Whether the running operation was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// The earlier of `own` (a request's deadline) and the operation's deadline.
    pub fn clamp(&self, own: Instant) -> Instant {
        match *self.lock() {
            Some(d) if d < own => d,
            _ => own,
        }
    }

    /// Whether the operation's deadline has passed.
    pub fn spent(&self) -> bool {
        self.lock().is_some_and(|d| Instant::now() >= d)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.deadline
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_ends_at_the_earlier_deadline_and_a_cancel_is_seen() {
        let b = Budget::new();
        let far = Instant::now() + Duration::from_secs(60);
        assert_eq!(
            b.clamp(far),
            far,
            "no operation: the request's own deadline"
        );
        b.start(Duration::from_secs(1));
        assert!(b.clamp(far) < far);
        assert!(!b.spent() && !b.is_cancelled());
        b.cancel();
        assert!(b.is_cancelled());
        b.start(Duration::ZERO);
        assert!(!b.is_cancelled(), "a new operation clears the cancel");
        assert!(b.spent());
    }
}
