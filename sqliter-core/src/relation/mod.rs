//! ORM relations: [`ForeignKey`] fields that load the record they point
//! at, and the way records returned by a database reach it again.

mod foreign_key;
pub(crate) mod joined;
mod junction;
mod link;
mod many_to_many;
mod path;
pub(crate) mod prefetch;

pub use foreign_key::{ForeignKey, ForeignKeyOf};
pub use junction::{JunctionVersions, ManyToManyMeta, Side, SqlMetadata};
pub use link::{related_query, AsyncRelationDb, Link, LinkedDb, RelationSlot, SelectDb};
pub use many_to_many::{ManyToMany, ManyToManyOf};
pub use path::{PathFrom, PathsFrom, RelationPath};
pub use prefetch::{load_children, load_related, Prefetched, Related, ToManyRelation, Via};
