//! ORM relations: [`ForeignKey`] fields that load the record they point
//! at, and the way records returned by a database reach it again.

mod foreign_key;
pub(crate) mod joined;
mod link;
mod path;
pub(crate) mod prefetch;

pub use foreign_key::{ForeignKey, ForeignKeyOf};
pub use link::{reverse_query, AsyncRelationDb, Link, LinkedDb, RelationSlot, SelectDb};
pub use path::{PathFrom, RelationPath};
pub use prefetch::{load_children, Prefetched, Related, ReverseRelation};
