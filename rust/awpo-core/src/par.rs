//! Maybe-parallel iteration, the one place awpo-core uses rayon (as in tokenizers).
//!
//! `AWPO_PARALLELISM=0|false|off` makes every batch serial; the thread count comes from
//! `RAYON_NUM_THREADS`. Forked children call [`set_parallelism`]`(false)`: a rayon pool does not
//! survive `fork`, and using it there can deadlock.
use rayon::prelude::*;
use std::sync::atomic::{AtomicU8, Ordering};

const UNSET: u8 = 0;
const ON: u8 = 1;
const OFF: u8 = 2;

static PARALLELISM: AtomicU8 = AtomicU8::new(UNSET);

fn from_env() -> bool {
    match std::env::var("AWPO_PARALLELISM") {
        Ok(v) => !matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "0" | "false" | "off" | "no"
        ),
        Err(_) => true,
    }
}

/// Whether batches run on the rayon pool.
pub fn is_parallel() -> bool {
    match PARALLELISM.load(Ordering::Relaxed) {
        ON => true,
        OFF => false,
        _ => {
            let on = from_env();
            PARALLELISM.store(if on { ON } else { OFF }, Ordering::Relaxed);
            on
        }
    }
}

/// Turns parallel batches on or off for this process.
pub fn set_parallelism(on: bool) {
    PARALLELISM.store(if on { ON } else { OFF }, Ordering::Relaxed);
}

/// Below this many items a batch runs serially: rayon's fork-join costs more than it saves.
pub const MIN_PARALLEL_ITEMS: usize = 64;

/// `items.iter().map(f).collect()`, on the rayon pool when parallelism is on and the batch is big.
pub fn map_collect<T, R, F>(items: &[T], f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync + Send,
{
    if items.len() >= MIN_PARALLEL_ITEMS && is_parallel() {
        items.par_iter().map(f).collect()
    } else {
        items.iter().map(f).collect()
    }
}

/// `(0..n).map(f).collect()`, on the rayon pool when parallelism is on and `n` is big.
pub fn map_range<R, F>(n: usize, f: F) -> Vec<R>
where
    R: Send,
    F: Fn(usize) -> R + Sync + Send,
{
    if n >= MIN_PARALLEL_ITEMS && is_parallel() {
        (0..n).into_par_iter().map(f).collect()
    } else {
        (0..n).map(f).collect()
    }
}

/// `items.into_iter().enumerate().map(f).collect()` (the items are moved into `f`), on the rayon
/// pool when parallelism is on and the batch is big.
pub fn map_owned<T, R, F>(items: Vec<T>, f: F) -> Vec<R>
where
    T: Send,
    R: Send,
    F: Fn(usize, T) -> R + Sync + Send,
{
    if items.len() >= MIN_PARALLEL_ITEMS && is_parallel() {
        items
            .into_par_iter()
            .enumerate()
            .map(|(i, x)| f(i, x))
            .collect()
    } else {
        items
            .into_iter()
            .enumerate()
            .map(|(i, x)| f(i, x))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_and_parallel_agree() {
        let items: Vec<u64> = (0..1000).collect();
        set_parallelism(true);
        let a = map_collect(&items, |x| x * 2);
        set_parallelism(false);
        let b = map_collect(&items, |x| x * 2);
        set_parallelism(true);
        assert_eq!(a, b);
        assert_eq!(map_range(1000, |i| i as u64 * 2), a);
        let owned = |items: Vec<u64>| map_owned(items, |i, x| (i as u64) + x);
        let want: Vec<u64> = (0..1000).map(|x| 2 * x).collect();
        set_parallelism(false);
        assert_eq!(owned(items.clone()), want);
        set_parallelism(true);
        assert_eq!(owned(items), want);
    }
}
