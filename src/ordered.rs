//! Independent work on many inputs shared among the machine's cores, each result handed on
//! in input order on the caller's thread: what depends on the order (duplicates, counting,
//! output) stays sequential, and the output is the same however the work was shared.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, PoisonError, mpsc};

/// Results done ahead of the one being handed on, at most, per worker thread: what bounds
/// the memory of the results waiting their turn.
const AHEAD_PER_WORKER: usize = 4;

/// Worker threads, at most.
const MAX_WORKERS: usize = 8;

/// `work` on every item, on up to one thread per core; `each` gets the results in the
/// items' order. When `each` fails, the workers stop and the error comes back.
pub fn for_each_in_order<T, R, E>(
    items: &[T],
    work: impl Fn(&T) -> R + Sync,
    mut each: impl FnMut(R) -> Result<(), E>,
) -> Result<(), E>
where
    T: Sync,
    R: Send,
{
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_WORKERS)
        .min(items.len());
    if workers <= 1 {
        for item in items {
            each(work(item))?;
        }
        return Ok(());
    }
    let window = workers * AHEAD_PER_WORKER;
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    // How many results `each` has had: a worker waits while its item is `window` ahead.
    let handed = (Mutex::new(0usize), Condvar::new());
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<(usize, R)>();
        for _ in 0..workers {
            let tx = tx.clone();
            let (next, stop, handed, work) = (&next, &stop, &handed, &work);
            scope.spawn(move || {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= items.len() {
                        break;
                    }
                    {
                        let (count, turn) = handed;
                        let mut count = count.lock().unwrap_or_else(PoisonError::into_inner);
                        while index >= *count + window && !stop.load(Ordering::Relaxed) {
                            count = turn.wait(count).unwrap_or_else(PoisonError::into_inner);
                        }
                    }
                    if stop.load(Ordering::Relaxed)
                        || tx.send((index, work(&items[index]))).is_err()
                    {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut waiting: BTreeMap<usize, R> = BTreeMap::new();
        let mut expected = 0;
        let mut outcome = Ok(());
        'receive: for (index, result) in rx.iter() {
            waiting.insert(index, result);
            while let Some(result) = waiting.remove(&expected) {
                if let Err(error) = each(result) {
                    outcome = Err(error);
                    break 'receive;
                }
                expected += 1;
                let (count, turn) = &handed;
                *count.lock().unwrap_or_else(PoisonError::into_inner) = expected;
                turn.notify_all();
            }
        }
        if outcome.is_err() {
            stop.store(true, Ordering::Relaxed);
            handed.1.notify_all();
        }
        drop(rx);
        outcome
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_input_order_whatever_each_item_costs() {
        let items: Vec<u64> = (0..500).collect();
        let mut seen = Vec::new();
        let done: Result<(), ()> = for_each_in_order(
            &items,
            |n| {
                // Early items take longest, so later ones finish first.
                if *n < 8 {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                n * 2
            },
            |r| {
                seen.push(r);
                Ok(())
            },
        );
        assert_eq!(done, Ok(()));
        assert_eq!(seen, items.iter().map(|n| n * 2).collect::<Vec<_>>());
    }

    #[test]
    fn an_error_stops_the_run_and_comes_back() {
        let items: Vec<u32> = (0..10_000).collect();
        let worked = AtomicUsize::new(0);
        let mut handed = 0;
        let done = for_each_in_order(
            &items,
            |n| {
                worked.fetch_add(1, Ordering::Relaxed);
                *n
            },
            |n| {
                handed += 1;
                if n == 3 { Err("full") } else { Ok(()) }
            },
        );
        assert_eq!(done, Err("full"));
        assert_eq!(handed, 4);
        // Workers stopped within their window, not at the end of the items.
        assert!(
            worked.load(Ordering::Relaxed) < 200,
            "{}",
            worked.load(Ordering::Relaxed)
        );
    }
}
