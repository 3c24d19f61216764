//! Size estimates of cached values, for the per-table memory cap.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::mem::size_of;

/// Bytes a value owns on the heap (an estimate: allocator overhead and
/// spare capacity of nested containers are not counted exactly).
pub trait HeapSize {
    /// Heap bytes owned by `self`, not counting `size_of::<Self>()`.
    fn heap_size(&self) -> usize;
}

macro_rules! no_heap {
    ($($t:ty),* $(,)?) => {$( impl HeapSize for $t { #[inline] fn heap_size(&self) -> usize { 0 } } )*};
}
no_heap!(
    i8,
    i16,
    i32,
    i64,
    i128,
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    isize,
    f32,
    f64,
    bool,
    char,
    ()
);

#[cfg(feature = "chrono")]
no_heap!(
    chrono::NaiveDate,
    chrono::DateTime<chrono::Utc>,
    chrono::DateTime<chrono::Local>,
    chrono::DateTime<chrono::FixedOffset>,
);

impl HeapSize for String {
    fn heap_size(&self) -> usize {
        self.capacity()
    }
}

impl<T: HeapSize> HeapSize for Option<T> {
    fn heap_size(&self) -> usize {
        self.as_ref().map_or(0, HeapSize::heap_size)
    }
}

impl<T: HeapSize> HeapSize for Vec<T> {
    fn heap_size(&self) -> usize {
        self.capacity() * size_of::<T>() + self.iter().map(HeapSize::heap_size).sum::<usize>()
    }
}

impl<T: HeapSize> HeapSize for Box<T> {
    fn heap_size(&self) -> usize {
        size_of::<T>() + (**self).heap_size()
    }
}

impl<K: HeapSize, V: HeapSize, S> HeapSize for HashMap<K, V, S> {
    fn heap_size(&self) -> usize {
        self.capacity() * (size_of::<K>() + size_of::<V>())
            + self
                .iter()
                .map(|(k, v)| k.heap_size() + v.heap_size())
                .sum::<usize>()
    }
}

impl<K: HeapSize, V: HeapSize> HeapSize for BTreeMap<K, V> {
    fn heap_size(&self) -> usize {
        self.iter()
            .map(|(k, v)| size_of::<K>() + size_of::<V>() + k.heap_size() + v.heap_size())
            .sum()
    }
}

impl<T: HeapSize, S> HeapSize for HashSet<T, S> {
    fn heap_size(&self) -> usize {
        self.capacity() * size_of::<T>() + self.iter().map(HeapSize::heap_size).sum::<usize>()
    }
}

impl<T: HeapSize> HeapSize for BTreeSet<T> {
    fn heap_size(&self) -> usize {
        self.iter().map(|v| size_of::<T>() + v.heap_size()).sum()
    }
}
