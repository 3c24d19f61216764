//! The optional query-result cache, shared by both doors.
//!
//! Off by default. Entries are kept per table in an LRU of at most
//! `cache_max_size` entries (and, optionally, `cache_max_memory_mb` of
//! estimated size), each with an optional time to live. Every write to a
//! table drops that table's entries, and those of the tables its foreign
//! keys cascade into. Results are stored on the connection's thread right
//! after they are computed, and never while a transaction is open, so no
//! entry can hold data another statement has changed or not committed.

mod clock;
mod key;
mod size;

pub use clock::{Clock, ManualClock, SystemClock};
pub use key::CacheKey;
pub use size::HeapSize;

use std::any::Any;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use lru::LruCache;

use crate::model::DbModel;
use crate::record::Record;

/// Cache hit and miss counters.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CacheStats {
    /// Look-ups answered from the cache.
    pub hits: u64,
    /// Look-ups that were not.
    pub misses: u64,
    /// `hits + misses`.
    pub total: u64,
    /// `hits / total` as a percentage rounded to two decimals; 0 with no
    /// look-ups.
    pub hit_rate: f64,
}

/// How the cache is set up (from the database options).
#[derive(Clone)]
pub(crate) struct CacheConfig {
    pub enabled: bool,
    pub max_size: NonZeroUsize,
    pub ttl: Option<Duration>,
    pub max_memory: Option<usize>,
    pub clock: Arc<dyn Clock>,
}

impl fmt::Debug for CacheConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheConfig")
            .field("enabled", &self.enabled)
            .field("max_size", &self.max_size)
            .field("ttl", &self.ttl)
            .field("max_memory", &self.max_memory)
            .finish_non_exhaustive()
    }
}

/// A value the cache can keep: copied out on a hit and sized for the
/// memory cap. Query results of any model qualify; a model that is not
/// `Clone` is simply not cached.
pub trait Cacheable: Sized + Send + 'static {
    /// A copy for the cache or the caller, if the value can be copied.
    fn cache_copy(&self) -> Option<Self>;
    /// Estimated bytes.
    fn cache_size(&self) -> usize;
    /// The answer of a query known to match no row, where one exists
    /// without SQL (not for projections: an aggregate over no row is a row).
    fn nothing() -> Option<Self> {
        None
    }
}

impl<R: Record> Cacheable for Vec<R> {
    fn cache_copy(&self) -> Option<Self> {
        self.iter().map(Record::cache_copy).collect()
    }
    fn cache_size(&self) -> usize {
        self.iter()
            .map(|r| r.model().size_estimate())
            .sum::<usize>()
            + std::mem::size_of::<Self>()
    }
    fn nothing() -> Option<Self> {
        Some(Vec::new())
    }
}

impl<R: Record> Cacheable for Option<R> {
    fn cache_copy(&self) -> Option<Self> {
        match self {
            Some(r) => r.cache_copy().map(Some),
            None => Some(None),
        }
    }
    fn cache_size(&self) -> usize {
        self.as_ref().map_or(0, |r| r.model().size_estimate()) + std::mem::size_of::<Self>()
    }
    fn nothing() -> Option<Self> {
        Some(None)
    }
}

macro_rules! cacheable_copy {
    ($($t:ty => $nothing:expr),*) => {$(
        impl Cacheable for $t {
            fn cache_copy(&self) -> Option<Self> { Some(self.clone()) }
            fn cache_size(&self) -> usize { std::mem::size_of::<Self>() + HeapSize::heap_size(self) }
            fn nothing() -> Option<Self> { $nothing }
        }
    )*};
}
// `count()` and `exists()` of no row; the others are not row terminals.
cacheable_copy!(u64 => Some(0), i64 => None, bool => Some(false), String => None);

impl Cacheable for Vec<crate::query::DictRow> {
    fn cache_copy(&self) -> Option<Self> {
        Some(self.clone())
    }
    fn cache_size(&self) -> usize {
        self.iter()
            .map(crate::query::DictRow::size_estimate)
            .sum::<usize>()
            + std::mem::size_of::<Self>()
    }
}

struct Entry {
    value: Box<dyn Any + Send>,
    expires_at: Option<Instant>,
    size: usize,
}

struct TableCache {
    entries: LruCache<CacheKey, Entry>,
    bytes: usize,
}

/// The cache state of one database (shared by its clones).
pub struct QueryCache {
    config: CacheConfig,
    tables: HashMap<String, TableCache>,
    hits: u64,
    misses: u64,
    /// Table → tables whose foreign keys cascade from it, read from SQLite
    /// when first needed and forgotten on every schema change.
    pub(crate) dependents: Option<HashMap<String, Vec<String>>>,
    /// Joined table → tables whose cached answers read it through a join.
    joined_by: HashMap<String, HashSet<String>>,
}

impl fmt::Debug for QueryCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueryCache")
            .field("config", &self.config)
            .field("tables", &self.tables.len())
            .field("hits", &self.hits)
            .field("misses", &self.misses)
            .finish_non_exhaustive()
    }
}

impl QueryCache {
    pub(crate) fn new(config: CacheConfig) -> Self {
        Self {
            config,
            tables: HashMap::new(),
            hits: 0,
            misses: 0,
            dependents: None,
            joined_by: HashMap::new(),
        }
    }

    /// Whether caching is on.
    pub fn enabled(&self) -> bool {
        self.config.enabled
    }

    /// A copy of the live entry under `key`, counting a hit or a miss. An
    /// expired entry is removed; an entry of another type is a miss.
    pub fn get<T: Cacheable>(&mut self, table: &str, key: &CacheKey) -> Option<T> {
        if !self.config.enabled {
            return None;
        }
        let now = self.config.clock.now();
        let found = self.tables.get_mut(table).and_then(|t| {
            let expired = t
                .entries
                .peek(key)
                .is_some_and(|e| e.expires_at.is_some_and(|at| now >= at));
            if expired {
                if let Some(old) = t.entries.pop(key) {
                    t.bytes -= old.size;
                }
                return None;
            }
            t.entries
                .get(key)
                .and_then(|e| e.value.downcast_ref::<T>())
                .and_then(T::cache_copy)
        });
        match found {
            Some(v) => {
                self.hits += 1;
                Some(v)
            }
            None => {
                self.misses += 1;
                None
            }
        }
    }

    /// Keep `value` under `key` for `ttl` (or the default TTL). Least
    /// recently used entries of the table make room under the memory cap;
    /// a value larger than the cap is not kept.
    pub fn set<T: Cacheable>(
        &mut self,
        table: &str,
        key: CacheKey,
        value: &T,
        ttl: Option<Duration>,
    ) {
        if !self.config.enabled {
            return;
        }
        let size = value.cache_size();
        if self.config.max_memory.is_some_and(|cap| size > cap) {
            return;
        }
        let Some(copy) = value.cache_copy() else {
            return;
        };
        let expires_at = ttl
            .or(self.config.ttl)
            .map(|ttl| self.config.clock.now() + ttl);
        let max_size = self.config.max_size;
        let cache = self
            .tables
            .entry(table.to_owned())
            .or_insert_with(|| TableCache {
                entries: LruCache::new(max_size),
                bytes: 0,
            });
        if let Some(old) = cache.entries.pop(&key) {
            cache.bytes -= old.size;
        }
        if let Some(cap) = self.config.max_memory {
            while cache.bytes + size > cap {
                match cache.entries.pop_lru() {
                    Some((_, old)) => cache.bytes -= old.size,
                    None => break,
                }
            }
        }
        let entry = Entry {
            value: Box::new(copy),
            expires_at,
            size,
        };
        if let Some((_, evicted)) = cache.entries.push(key, entry) {
            cache.bytes -= evicted.size;
        }
        cache.bytes += size;
    }

    /// Drop every entry of `table`, and of the tables whose cached answers
    /// joined it.
    pub fn invalidate_table(&mut self, table: &str) {
        self.tables.remove(table);
        for reader in self.joined_by.remove(table).into_iter().flatten() {
            self.tables.remove(&reader);
        }
    }

    /// Note that answers cached under `table` read `joined` too.
    pub(crate) fn note_joins(&mut self, table: &str, joined: &[&str]) {
        for other in joined {
            self.joined_by
                .entry((*other).to_owned())
                .or_default()
                .insert(table.to_owned());
        }
    }

    /// Drop every entry (statistics are kept).
    pub fn clear(&mut self) {
        self.tables.clear();
        self.joined_by.clear();
    }

    /// Zero the statistics (entries are kept).
    pub fn reset_stats(&mut self) {
        self.hits = 0;
        self.misses = 0;
    }

    /// The statistics.
    pub fn stats(&self) -> CacheStats {
        let total = self.hits + self.misses;
        #[allow(clippy::cast_precision_loss)]
        let hit_rate = if total == 0 {
            0.0
        } else {
            (self.hits as f64 / total as f64 * 10_000.0).round() / 100.0
        };
        CacheStats {
            hits: self.hits,
            misses: self.misses,
            total,
            hit_rate,
        }
    }

    /// Whether any entry is kept.
    pub(crate) fn is_empty(&self) -> bool {
        self.tables.values().all(|t| t.entries.is_empty())
    }

    /// `table` and every table a write to it can cascade into.
    pub(crate) fn closure_of(&self, table: &str) -> HashSet<String> {
        let mut reached: HashSet<String> = HashSet::from([table.to_owned()]);
        let mut todo = vec![table.to_owned()];
        while let Some(next) = todo.pop() {
            for child in self
                .dependents
                .as_ref()
                .and_then(|d| d.get(&next))
                .into_iter()
                .flatten()
            {
                if reached.insert(child.clone()) {
                    todo.push(child.clone());
                }
            }
        }
        reached
    }
}

/// The cache of a database, shared by its clones and by the connection's
/// thread.
#[derive(Debug, Clone)]
pub struct SharedCache {
    /// Fixed for the database's lifetime: read without locking, so a
    /// disabled cache costs nothing per operation.
    enabled: bool,
    state: Arc<Mutex<QueryCache>>,
}

impl SharedCache {
    pub(crate) fn new(config: CacheConfig) -> Self {
        Self {
            enabled: config.enabled,
            state: Arc::new(Mutex::new(QueryCache::new(config))),
        }
    }

    /// Whether caching is on (no lock taken).
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// A value kept with [`Self::set`] (a look-up: counts a hit or miss).
    pub fn get<T: Cacheable>(&self, table: &str, key: &str) -> Option<T> {
        self.lock().get(table, &CacheKey::user(key))
    }

    /// Keep any cacheable value under a key of your own.
    pub fn set<T: Cacheable>(&self, table: &str, key: &str, value: &T, ttl: Option<Duration>) {
        self.lock().set(table, CacheKey::user(key), value, ttl);
    }

    /// Forget everything and zero the statistics (on `close`).
    pub fn reset(&self) {
        let mut cache = self.lock();
        cache.clear();
        cache.reset_stats();
    }

    /// Lock the cache (a poisoned lock is recovered: the cache holds no
    /// invariant a panic could break beyond a lost entry).
    pub fn lock(&self) -> MutexGuard<'_, QueryCache> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
