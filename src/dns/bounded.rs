//! Many queries at once, never more than a limit in flight: the shape every family that asks
//! DNS per distinct key uses (report sources, recipients' domains).

use super::Resolver;
use std::future::Future;
use tokio::runtime::Handle;
use tokio::task::JoinSet;

/// What a family's many lookups need: the run's resolver (its one cache), a runtime to run
/// them on, and how many at once (`--concurrency`).
#[derive(Clone)]
pub struct Lookups {
    pub resolver: Resolver,
    pub runtime: Handle,
    pub concurrency: usize,
}

/// Run `task` for every item on `runtime`, `limit` (at least 1) at a time, and return the
/// results with their items in the order they finished. A task that panicked is left out:
/// the caller treats a missing item as not concluded.
pub fn map_bounded<K, V, F, Fut>(
    runtime: &Handle,
    limit: usize,
    items: Vec<K>,
    task: F,
) -> Vec<(K, V)>
where
    K: Send + 'static,
    V: Send + 'static,
    F: Fn(K) -> Fut,
    Fut: Future<Output = (K, V)> + Send + 'static,
{
    let limit = limit.max(1);
    runtime.block_on(async move {
        let mut out = Vec::with_capacity(items.len());
        let mut running = JoinSet::new();
        let mut pending = items.into_iter();
        loop {
            while running.len() < limit {
                let Some(item) = pending.next() else { break };
                running.spawn(task(item));
            }
            match running.join_next().await {
                Some(Ok(pair)) => out.push(pair),
                Some(Err(_)) => {}
                None => break,
            }
        }
        out
    })
}
