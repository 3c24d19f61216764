//! Benchmarks live in `benches/`; see the README's "Performance" section.
