//! Queries: the chain ([`QueryChain`]), conditions ([`Column`], string
//! lookups), the spec they build ([`QuerySpec`]), and the engine functions
//! that run a spec ([`exec`]).

mod aggregate;
mod builder;
mod chain;
pub mod exec;
mod filter;
mod param;
mod spec;
mod sql;
pub mod stream;
mod text;

pub use aggregate::{Aggregate, AggregateFunc, DictRow};
pub use builder::QueryBuilder;
pub use chain::QueryChain;
pub(crate) use filter::Operand;
pub use filter::{Assignment, Column, Condition, Filter, Op, OrderKey, TextColumn};
pub use param::{Param, Scalar};
pub(crate) use spec::{BadHop, Hop, Join};
pub use spec::{Order, OrderTarget, QuerySpec, Terminal};
pub use text::fold;
pub(crate) use text::register as register_text_functions;

/// The join behind alias `alias` (1 or more).
pub(crate) fn join_at(spec: &QuerySpec, alias: usize) -> spec::Join {
    spec.joins[alias - 1]
}

pub(crate) use aggregate::RelationCount;

/// A checked `COUNT` annotation named `alias` (empty, duplicate and
/// field-shadowing aliases refused), for `with_count`.
pub(crate) fn count_annotation(
    table: &crate::model::TableMeta,
    aggregation: &aggregate::Aggregation,
    alias: &str,
    distinct: bool,
) -> crate::Result<aggregate::Annotation> {
    let count = if distinct {
        Aggregate::count().distinct()
    } else {
        Aggregate::count()
    };
    aggregate::annotation(table, aggregation, alias, count)
}
