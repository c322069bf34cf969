//! Randomness from the system, in one place: a secret (an API key) must be
//! unpredictable, so it fails without the system's randomness; a nonce or
//! a suite id only has to be unique, so it falls back to the clock and the
//! process id.
//!
//! Must never: hand out a secret made from anything but the system's
//! randomness.

use std::time::{SystemTime, UNIX_EPOCH};

/// `N` bytes of the system's randomness, for a secret.
pub fn secret<const N: usize>() -> Result<[u8; N], getrandom::Error> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)?;
    Ok(bytes)
}

/// `N` bytes unique to this call: the system's randomness, or without it
/// the nanoseconds and the process id.
pub fn unique<const N: usize>() -> [u8; N] {
    secret().unwrap_or_else(|_| {
        let t = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos()) ^ u128::from(std::process::id());
        let mut bytes = [0u8; N];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = t.to_le_bytes()[i % 16];
        }
        bytes
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn two_calls_differ() {
        assert_ne!(super::unique::<16>(), super::unique::<16>());
        assert_ne!(super::secret::<32>().unwrap(), [0u8; 32]);
    }
}
