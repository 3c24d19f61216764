//! Many-to-many relations: the junction table a `ManyToMany<T>` field
//! declares, its names, its DDL, and the statements that read and write it.
//!
//! Names follow upstream: the table is `through`, else the two table names
//! sorted and joined by `_`; its columns are `<table>_pk` (a self-reference:
//! `<table>_pk_left` for the owner, `<table>_pk_right` for the target).

use std::fmt::Write;
use std::sync::Arc;
use std::sync::OnceLock;

use crate::error::{classify, sql_error, Operation, Result};
use crate::model::TableMeta;
use crate::session::{quote_ident, Session};

/// A `ManyToMany<T>` field, described by the derive of the model that
/// declares it (one static per field).
pub struct ManyToManyMeta {
    owner: fn() -> &'static TableMeta,
    target: fn() -> &'static TableMeta,
    field: &'static str,
    related_name: Option<&'static str>,
    through: Option<&'static str>,
    /// The model has several many-to-many fields to the same model: each
    /// gets a junction table of its own (upstream silently shares one).
    own_table: bool,
    symmetrical: bool,
    /// Table names are only known at run time (the target's derive chose
    /// its own), so the names are built on first use.
    names: OnceLock<Names>,
}

#[derive(Debug)]
struct Names {
    table: String,
    /// The owner's column, then the target's.
    owner_column: String,
    target_column: String,
    /// The statements of each side: `[reverse, forward]`.
    sides: [SideSql; 2],
}

/// A side's statement texts, built once with the names.
#[derive(Debug)]
struct SideSql {
    /// `SELECT <related pk> FROM junction WHERE <source pk> = ?`.
    related_pks: String,
    /// `(SELECT COUNT(*) FROM junction WHERE <source pk> = `, and for a
    /// symmetrical relation ` OR <other column> = `.
    count: (String, Option<String>),
    insert: String,
    remove: String,
    clear: String,
}

impl SideSql {
    fn new(table: &str, from: &str, to: &str, symmetrical: bool) -> Self {
        let table = quote_ident(table);
        let (from, to) = (quote_ident(from), quote_ident(to));
        let count_open = format!("(SELECT COUNT(*) FROM {table} WHERE {from} = ");
        Self {
            // Either column may hold the record of a symmetrical relation;
            // a pair with itself is one row and is listed once.
            related_pks: if symmetrical {
                format!(
                    "SELECT {to} FROM {table} WHERE {from} = ? UNION SELECT {from} FROM {table} WHERE {to} = ?"
                )
            } else {
                format!("SELECT {to} FROM {table} WHERE {from} = ?")
            },
            count: (count_open, symmetrical.then(|| format!(" OR {to} = "))),
            insert: format!("INSERT OR IGNORE INTO {table} ({from}, {to}) VALUES (?, ?)"),
            remove: format!("DELETE FROM {table} WHERE {from} = ? AND {to} = ?"),
            clear: if symmetrical {
                format!("DELETE FROM {table} WHERE {from} = ?1 OR {to} = ?1")
            } else {
                format!("DELETE FROM {table} WHERE {from} = ?1")
            },
        }
    }
}

impl ManyToManyMeta {
    /// Used by the derive.
    #[allow(clippy::too_many_arguments)]
    pub const fn new(
        owner: fn() -> &'static TableMeta,
        target: fn() -> &'static TableMeta,
        field: &'static str,
        related_name: Option<&'static str>,
        through: Option<&'static str>,
        own_table: bool,
        symmetrical: bool,
    ) -> Self {
        Self {
            owner,
            target,
            field,
            related_name,
            through,
            own_table,
            symmetrical,
            names: OnceLock::new(),
        }
    }

    /// The model declaring the field.
    pub fn owner(&self) -> &'static TableMeta {
        (self.owner)()
    }

    /// The model the field points at.
    pub fn target(&self) -> &'static TableMeta {
        (self.target)()
    }

    /// The field's name.
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// The reverse accessor's name on the target (`None` for a symmetrical
    /// relation, which has none).
    pub fn related_name(&self) -> Option<&'static str> {
        self.related_name
    }

    /// A self-reference declared `symmetrical`: one row per pair, seen
    /// from both sides.
    pub fn is_symmetrical(&self) -> bool {
        self.symmetrical
    }

    fn names(&'static self) -> &'static Names {
        self.names.get_or_init(|| {
            let owner = self.owner().table_name;
            let target = self.target().table_name;
            let table = match self.through {
                Some(through) => through.to_owned(),
                None => {
                    let (a, b) = if owner <= target {
                        (owner, target)
                    } else {
                        (target, owner)
                    };
                    if self.own_table {
                        format!("{a}_{b}_{}", self.field)
                    } else {
                        format!("{a}_{b}")
                    }
                }
            };
            let (owner_column, target_column) = if owner == target {
                (format!("{owner}_pk_left"), format!("{target}_pk_right"))
            } else {
                (format!("{owner}_pk"), format!("{target}_pk"))
            };
            let sides = [
                SideSql::new(&table, &target_column, &owner_column, self.symmetrical),
                SideSql::new(&table, &owner_column, &target_column, self.symmetrical),
            ];
            Names {
                table,
                owner_column,
                target_column,
                sides,
            }
        })
    }

    /// The junction table's name.
    pub fn junction_table(&'static self) -> &'static str {
        &self.names().table
    }

    /// The relation's SQL names seen from the declaring model (the
    /// `forward` side) or from the target (the reverse accessor).
    pub fn sql_metadata(&'static self, forward: bool) -> SqlMetadata {
        Side {
            relation: self,
            forward,
        }
        .sql_metadata()
    }

    /// `CREATE TABLE IF NOT EXISTS` of the junction table: the pair's
    /// columns in table-name order, each referencing its table with
    /// `ON DELETE CASCADE`, the pair unique; then an index per column.
    pub(crate) fn create_sqls(&'static self) -> Vec<String> {
        let names = self.names();
        let mut columns = [
            (&names.owner_column, self.owner().table_name),
            (&names.target_column, self.target().table_name),
        ];
        columns.sort_unstable();
        let table = quote_ident(&names.table);
        let mut create =
            format!("CREATE TABLE IF NOT EXISTS {table} (\"id\" INTEGER PRIMARY KEY AUTOINCREMENT");
        for (column, _) in &columns {
            let _ = write!(create, ", {} INTEGER NOT NULL", quote_ident(column));
        }
        for (column, references) in &columns {
            let _ = write!(
                create,
                ", FOREIGN KEY ({}) REFERENCES {}(\"pk\") ON DELETE CASCADE ON UPDATE CASCADE",
                quote_ident(column),
                quote_ident(references)
            );
        }
        let _ = write!(
            create,
            ", UNIQUE ({}, {}))",
            quote_ident(columns[0].0),
            quote_ident(columns[1].0)
        );
        let mut sqls = vec![create];
        for (column, _) in &columns {
            sqls.push(format!(
                "CREATE INDEX IF NOT EXISTS {} ON {table} ({})",
                quote_ident(&format!("idx_{}_{column}", names.table)),
                quote_ident(column)
            ));
        }
        sqls
    }
}

impl std::fmt::Debug for ManyToManyMeta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ManyToManyMeta({}.{} -> {})",
            self.owner().model_name,
            self.field,
            self.target().model_name
        )
    }
}

/// The SQL names of a many-to-many relation, for raw SQL (upstream's
/// `sql_metadata`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqlMetadata {
    /// The junction table.
    pub junction_table: &'static str,
    /// Its column holding the pk of the side asked from.
    pub from_column: &'static str,
    /// Its column holding the pk of the related records.
    pub to_column: &'static str,
    /// The table of the side asked from.
    pub source_table: &'static str,
    /// The table of the related records.
    pub target_table: &'static str,
    /// One row per pair, read from both columns.
    pub symmetrical: bool,
}

/// A many-to-many relation seen from one side: from the declaring model
/// (`forward`) or from its target (the reverse accessor).
#[derive(Debug, Clone, Copy)]
pub struct Side {
    /// The field's description.
    pub relation: &'static ManyToManyMeta,
    /// Seen from the declaring model.
    pub forward: bool,
}

impl PartialEq for Side {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.relation, other.relation) && self.forward == other.forward
    }
}

impl Side {
    /// The model whose records this side starts from.
    pub fn source(&self) -> &'static TableMeta {
        if self.forward {
            self.relation.owner()
        } else {
            self.relation.target()
        }
    }

    /// The model of the related records.
    pub fn related(&self) -> &'static TableMeta {
        if self.forward {
            self.relation.target()
        } else {
            self.relation.owner()
        }
    }

    /// The junction table.
    pub fn table(&self) -> &'static str {
        self.relation.junction_table()
    }

    /// The junction column of the source's pk, then the related one's.
    pub fn columns(&self) -> (&'static str, &'static str) {
        let names = self.relation.names();
        if self.forward {
            (&names.owner_column, &names.target_column)
        } else {
            (&names.target_column, &names.owner_column)
        }
    }

    /// The names seen from this side.
    pub fn sql_metadata(&self) -> SqlMetadata {
        let (from_column, to_column) = self.columns();
        SqlMetadata {
            junction_table: self.table(),
            from_column,
            to_column,
            source_table: self.source().table_name,
            target_table: self.related().table_name,
            symmetrical: self.relation.symmetrical,
        }
    }

    /// The relation's name on the source (`"tags"`, or the reverse
    /// `"articles"`).
    pub fn name(&self) -> &'static str {
        if self.forward {
            self.relation.field
        } else {
            self.relation.related_name.unwrap_or(self.relation.field)
        }
    }

    fn sql(&self) -> &'static SideSql {
        &self.relation.names().sides[usize::from(self.forward)]
    }

    /// `SELECT <related pk> FROM junction WHERE <source pk> = ?` with the
    /// source pk bound `binds()` times: the related pks of one record.
    pub(crate) fn related_pks_sql(&self) -> &'static str {
        &self.sql().related_pks
    }

    /// How many times the source pk is bound in [`Self::related_pks_sql`]
    /// and [`Self::count_sql`].
    pub(crate) fn binds(&self) -> usize {
        if self.relation.symmetrical {
            2
        } else {
            1
        }
    }

    /// `(SELECT COUNT(*) FROM junction WHERE <source pk> = ` + the caller's
    /// column + `)`, split around the column (`with_count`).
    pub(crate) fn count_sql(&self) -> (&'static str, Option<&'static str>) {
        let (open, or) = &self.sql().count;
        (open, or.as_deref())
    }

    /// The related records of `parents` source pks (bound once, twice when
    /// symmetrical), each row led by its source pk, in the related pk
    /// order: what `prefetch_related` runs per level.
    pub(crate) fn prefetch_sql(&self, related: &TableMeta, parents: usize) -> String {
        let (from, to) = self.columns();
        let (from, to) = (quote_ident(from), quote_ident(to));
        let table = quote_ident(self.table());
        let columns: Vec<String> = related
            .columns
            .iter()
            .map(|c| format!("\"r\".{}", quote_ident(c.column)))
            .collect();
        let columns = columns.join(", ");
        let related = quote_ident(related.table_name);
        let marks = vec!["?"; parents].join(", ");
        let one = |source: &str, other: &str| {
            format!(
                "SELECT \"j\".{source}, {columns} FROM {table} AS \"j\" JOIN {related} AS \"r\" ON \"r\".\"pk\" = \"j\".{other} WHERE \"j\".{source} IN ({marks})"
            )
        };
        if self.relation.symmetrical {
            // The second half reads the pairs stored the other way round;
            // a pair with itself is already in the first.
            format!(
                "{} UNION ALL {} AND \"j\".{from} <> \"j\".{to} ORDER BY 2",
                one(&from, &to),
                one(&to, &from)
            )
        } else {
            format!("{} ORDER BY 2", one(&from, &to))
        }
    }

    /// The stored order of a pair: a symmetrical relation keeps the
    /// smaller pk in the owner column, so a pair has one row.
    fn pair(&self, source: i64, related: i64) -> (i64, i64) {
        if self.relation.symmetrical && related < source {
            (related, source)
        } else {
            (source, related)
        }
    }

    fn invalidate(&self, session: &Session<'_>, source: i64, related: Option<&[i64]>) {
        session
            .settings
            .junction_versions
            .wrote(*self, source, related);
        session.invalidate(self.table(), false);
        session.invalidate(self.source().table_name, false);
        session.invalidate(self.related().table_name, false);
    }

    /// Add the pairs (source, each related); pairs already there are kept.
    pub fn add(&self, session: &Session<'_>, source: i64, related: &[i64]) -> Result<()> {
        self.write(
            session,
            &self.sql().insert,
            Operation::Insert,
            source,
            related,
        )
    }

    /// Remove the pairs (source, each related); missing pairs are no-ops.
    pub fn remove(&self, session: &Session<'_>, source: i64, related: &[i64]) -> Result<()> {
        self.write(
            session,
            &self.sql().remove,
            Operation::Delete,
            source,
            related,
        )
    }

    /// Remove every pair of `source`.
    pub fn clear(&self, session: &Session<'_>, source: i64) -> Result<()> {
        session.begin_implicit()?;
        let sql = &self.sql().clear;
        let mut stmt = session
            .conn
            .prepare_cached(sql)
            .map_err(|e| sql_error(sql, e))?;
        stmt.raw_bind_parameter(1, source)
            .map_err(|e| sql_error(sql, e))?;
        session.log_statement(&stmt);
        stmt.raw_execute()
            .map_err(|e| classify(Operation::Delete, self.table(), e))?;
        self.invalidate(session, source, None);
        Ok(())
    }

    /// Replace the pairs of `source` by (source, each related), atomically.
    pub fn set(&self, session: &Session<'_>, source: i64, related: &[i64]) -> Result<()> {
        session.begin_implicit()?;
        session.atomic(sql_error, || {
            self.clear(session, source)?;
            self.add(session, source, related)
        })
    }

    /// Run `sql` once per related pk, all or none.
    fn write(
        &self,
        session: &Session<'_>,
        sql: &str,
        op: Operation,
        source: i64,
        related: &[i64],
    ) -> Result<()> {
        if related.is_empty() {
            return Ok(());
        }
        session.begin_implicit()?;
        session.atomic(sql_error, || {
            let mut stmt = session
                .conn
                .prepare_cached(sql)
                .map_err(|e| sql_error(sql, e))?;
            for &pk in related {
                let (a, b) = self.pair(source, pk);
                stmt.raw_bind_parameter(1, a)
                    .and_then(|()| stmt.raw_bind_parameter(2, b))
                    .map_err(|e| sql_error(sql, e))?;
                session.log_statement(&stmt);
                stmt.raw_execute()
                    .map_err(|e| classify(op, self.table(), e))?;
            }
            Ok(())
        })?;
        self.invalidate(session, source, Some(related));
        Ok(())
    }
}

/// Which prefetched many-to-many sets a door's writes have made stale. A
/// set remembers the write generation it was loaded at; a later write
/// through the door that touched its record's pairs (from either side,
/// through any record or manager) makes it report `InvalidPrefetch`
/// instead of stale data. Sets of records no write touched keep answering.
#[derive(Debug, Default)]
pub struct JunctionVersions {
    tables: parking_lot::Mutex<std::collections::HashMap<&'static str, JunctionWrites>>,
}

/// The writes to one junction table.
#[derive(Debug, Default)]
struct JunctionWrites {
    generation: u64,
    /// (side, pk) → generation of the last write touching that record's
    /// pairs; `true` is the declaring model's side.
    records: std::collections::HashMap<(bool, i64), u64>,
    /// Per side (`[reverse, forward]`): the last write that touched records
    /// of that side without naming them (`clear`), or the cap's reset.
    everything: [u64; 2],
}

/// Past this many remembered records a table forgets them and counts its
/// writes as touching everything: memory stays bounded, answers stay safe.
const REMEMBERED: usize = 100_000;

/// What a prefetched set needs to tell whether it went stale.
#[derive(Debug, Clone)]
pub(crate) struct Version {
    versions: Arc<JunctionVersions>,
    side: Side,
    at: u64,
}

impl Version {
    /// Whether a write since the load touched `pk`'s pairs.
    pub(crate) fn is_stale(&self, pk: i64) -> bool {
        let tables = self.versions.tables.lock();
        let Some(writes) = tables.get(self.side.table()) else {
            return false;
        };
        let side = self.side.forward;
        writes.everything[usize::from(side)] > self.at
            || writes
                .records
                .get(&(side, pk))
                .is_some_and(|&g| g > self.at)
    }
}

impl JunctionVersions {
    /// The version a set over `side` loaded now starts at.
    pub(crate) fn current(self: &Arc<Self>, side: Side) -> Version {
        let at = self
            .tables
            .lock()
            .get(side.table())
            .map_or(0, |w| w.generation);
        Version {
            versions: Arc::clone(self),
            side,
            at,
        }
    }

    /// A write through `side` on `source`'s pairs with `related` (every
    /// related record when `None`).
    fn wrote(&self, side: Side, source: i64, related: Option<&[i64]>) {
        let mut tables = self.tables.lock();
        let writes = tables.entry(side.table()).or_default();
        writes.generation += 1;
        let g = writes.generation;
        // A self-reference stores a pair in either column order.
        let both = side.relation.is_symmetrical();
        let mut touch = |on: bool, pk: i64| {
            writes.records.insert((on, pk), g);
            if both {
                writes.records.insert((!on, pk), g);
            }
        };
        touch(side.forward, source);
        match related {
            Some(pks) => pks.iter().for_each(|&pk| touch(!side.forward, pk)),
            None => {
                writes.everything[usize::from(!side.forward)] = g;
                if both {
                    writes.everything = [g, g];
                }
            }
        }
        if writes.records.len() > REMEMBERED {
            writes.records.clear();
            writes.everything = [g, g];
        }
    }
}
