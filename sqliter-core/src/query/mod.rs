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

pub use aggregate::{Aggregate, AggregateFunc, DictRow};
pub use builder::QueryBuilder;
pub use chain::QueryChain;
pub(crate) use filter::Operand;
pub use filter::{fold, Assignment, Column, Condition, Filter, Op, OrderKey, TextColumn};
pub use param::{Param, Scalar};
pub use spec::{Order, OrderTarget, QuerySpec, Terminal};
