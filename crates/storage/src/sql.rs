//! Generic SQL over either sqlx database: what the shared store logic needs from a database
//! (binding values, running a statement, reading columns), as traits whose bounds are implied
//! wherever `DB: SqlDb` is written, so that SQL that reads the same on SQLite and PostgreSQL is
//! written once as ordinary generic functions.
//!
//! sqlx's own methods (`Query::bind`, `Query::fetch_all`, `Row::try_get`) need a bound per value
//! type and executor, which a generic caller would repeat on every function; here they are
//! gathered once:
//! - [`Bind`]: a value a query of the database takes (blanket over sqlx's `Encode + Type`);
//! - [`RowExt`] (in [`crate::row_maps`], with the row types it names): a column a row of the
//!   database gives, and rows decoded by `sqlx::FromRow`;
//! - [`SqlDb`]: the database, with the statements run on a connection (implemented for
//!   [`sqlx::Sqlite`] and [`sqlx::Postgres`], which is all that differs).

use std::future::Future;
use std::pin::Pin;

use sqlx::query::Query;
use sqlx::{Database, Encode, QueryBuilder, Type};

use crate::row_maps::RowExt;

/// A boxed future borrowing for `'a`, sendable between threads.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A query of `DB` with its arguments.
pub type Q<'q, DB> = Query<'q, DB, <DB as Database>::Arguments>;

/// A value of type `T` that a query of this database takes as a parameter.
pub trait Bind<T>: Database {
    /// `query` with `value` bound to its next parameter.
    fn bind_to<'q>(query: Q<'q, Self>, value: T) -> Q<'q, Self>;
    /// Pushes `value` as the next parameter of `builder`.
    fn push_to(builder: &mut QueryBuilder<Self>, value: T);
}

impl<'t, DB: Database, T: Encode<'t, DB> + Type<DB>> Bind<T> for DB {
    fn bind_to<'q>(query: Q<'q, Self>, value: T) -> Q<'q, Self> {
        query.bind(value)
    }

    fn push_to(builder: &mut QueryBuilder<Self>, value: T) {
        builder.push_bind(value);
    }
}

/// `.param(value)` on a query of a generic database (sqlx's own `.bind` needs its bound at every
/// call site).
pub trait Param<DB: Database>: Sized {
    /// The query with `value` bound to its next parameter.
    fn param<T>(self, value: T) -> Self
    where
        DB: Bind<T>;
}

impl<'q, DB: Database> Param<DB> for Q<'q, DB> {
    fn param<T>(self, value: T) -> Self
    where
        DB: Bind<T>,
    {
        DB::bind_to(self, value)
    }
}

/// A database the shared SQL runs on: the values it binds, the rows it reads, and how a
/// statement runs on a connection (the one part written per database).
pub trait SqlDb:
    Database<Row: RowExt>
    + Bind<i64>
    + Bind<Option<i64>>
    + Bind<f64>
    + Bind<bool>
    + Bind<String>
    + Bind<Option<String>>
    + Bind<Vec<u8>>
    + for<'a> Bind<&'a str>
    + for<'a> Bind<Option<&'a str>>
    + for<'a> Bind<&'a String>
    + for<'a> Bind<&'a Option<String>>
    + for<'a> Bind<&'a [u8]>
    + for<'a> Bind<&'a Vec<u8>>
{
    /// Runs `query`; the number of rows it changed.
    fn execute<'e, 'q: 'e, 'c: 'e>(
        conn: &'c mut Self::Connection,
        query: Q<'q, Self>,
    ) -> BoxFuture<'e, sqlx::Result<u64>>;

    /// Every row `query` gives.
    fn fetch_all<'e, 'q: 'e, 'c: 'e>(
        conn: &'c mut Self::Connection,
        query: Q<'q, Self>,
    ) -> BoxFuture<'e, sqlx::Result<Vec<Self::Row>>>;

    /// The first row `query` gives, if any.
    fn fetch_optional<'e, 'q: 'e, 'c: 'e>(
        conn: &'c mut Self::Connection,
        query: Q<'q, Self>,
    ) -> BoxFuture<'e, sqlx::Result<Option<Self::Row>>>;
}

impl SqlDb for sqlx::Sqlite {
    fn execute<'e, 'q: 'e, 'c: 'e>(
        conn: &'c mut Self::Connection,
        query: Q<'q, Self>,
    ) -> BoxFuture<'e, sqlx::Result<u64>> {
        Box::pin(async move { Ok(query.execute(conn).await?.rows_affected()) })
    }

    fn fetch_all<'e, 'q: 'e, 'c: 'e>(
        conn: &'c mut Self::Connection,
        query: Q<'q, Self>,
    ) -> BoxFuture<'e, sqlx::Result<Vec<Self::Row>>> {
        Box::pin(query.fetch_all(conn))
    }

    fn fetch_optional<'e, 'q: 'e, 'c: 'e>(
        conn: &'c mut Self::Connection,
        query: Q<'q, Self>,
    ) -> BoxFuture<'e, sqlx::Result<Option<Self::Row>>> {
        Box::pin(query.fetch_optional(conn))
    }
}

impl SqlDb for sqlx::Postgres {
    fn execute<'e, 'q: 'e, 'c: 'e>(
        conn: &'c mut Self::Connection,
        query: Q<'q, Self>,
    ) -> BoxFuture<'e, sqlx::Result<u64>> {
        Box::pin(async move { Ok(query.execute(conn).await?.rows_affected()) })
    }

    fn fetch_all<'e, 'q: 'e, 'c: 'e>(
        conn: &'c mut Self::Connection,
        query: Q<'q, Self>,
    ) -> BoxFuture<'e, sqlx::Result<Vec<Self::Row>>> {
        Box::pin(query.fetch_all(conn))
    }

    fn fetch_optional<'e, 'q: 'e, 'c: 'e>(
        conn: &'c mut Self::Connection,
        query: Q<'q, Self>,
    ) -> BoxFuture<'e, sqlx::Result<Option<Self::Row>>> {
        Box::pin(query.fetch_optional(conn))
    }
}

/// Running a query of a generic database: `.all(conn)`, `.optional(conn)`, `.one(conn)`,
/// `.run(conn)` in place of sqlx's executor methods.
pub trait Run<'q, DB: SqlDb>: Sized {
    /// Every row.
    fn all<'e>(self, conn: &'e mut DB::Connection) -> BoxFuture<'e, sqlx::Result<Vec<DB::Row>>>
    where
        'q: 'e;
    /// The first row, if any.
    fn optional<'e>(
        self,
        conn: &'e mut DB::Connection,
    ) -> BoxFuture<'e, sqlx::Result<Option<DB::Row>>>
    where
        'q: 'e;
    /// Exactly one row ([`sqlx::Error::RowNotFound`] when there is none).
    fn one<'e>(self, conn: &'e mut DB::Connection) -> BoxFuture<'e, sqlx::Result<DB::Row>>
    where
        'q: 'e;
    /// Runs it; the number of rows changed.
    fn run<'e>(self, conn: &'e mut DB::Connection) -> BoxFuture<'e, sqlx::Result<u64>>
    where
        'q: 'e;
}

impl<'q, DB: SqlDb> Run<'q, DB> for Q<'q, DB> {
    fn all<'e>(self, conn: &'e mut DB::Connection) -> BoxFuture<'e, sqlx::Result<Vec<DB::Row>>>
    where
        'q: 'e,
    {
        DB::fetch_all(conn, self)
    }

    fn optional<'e>(
        self,
        conn: &'e mut DB::Connection,
    ) -> BoxFuture<'e, sqlx::Result<Option<DB::Row>>>
    where
        'q: 'e,
    {
        DB::fetch_optional(conn, self)
    }

    fn one<'e>(self, conn: &'e mut DB::Connection) -> BoxFuture<'e, sqlx::Result<DB::Row>>
    where
        'q: 'e,
    {
        let row = DB::fetch_optional(conn, self);
        Box::pin(async move { row.await?.ok_or(sqlx::Error::RowNotFound) })
    }

    fn run<'e>(self, conn: &'e mut DB::Connection) -> BoxFuture<'e, sqlx::Result<u64>>
    where
        'q: 'e,
    {
        DB::execute(conn, self)
    }
}

/// `sqlx::query` for a static statement of a generic database.
pub(crate) fn stmt<DB: SqlDb>(sql: &'static str) -> Q<'static, DB> {
    sqlx::query(sql)
}

/// A multi-row insert of a generic database (`INSERT ... VALUES (...), (...)`), written a row and
/// a value at a time.
pub(crate) struct Values<DB: Database> {
    query: QueryBuilder<DB>,
    rows: usize,
    in_row: usize,
}

impl<DB: SqlDb> Values<DB> {
    /// An insert starting with `insert` (`INSERT INTO table (columns) `).
    pub(crate) fn new(insert: &'static str) -> Self {
        Values {
            query: QueryBuilder::new(insert),
            rows: 0,
            in_row: 0,
        }
    }

    /// Starts the next row.
    pub(crate) fn row(&mut self) -> &mut Self {
        self.query
            .push(if self.rows == 0 { "VALUES (" } else { "), (" });
        self.rows += 1;
        self.in_row = 0;
        self
    }

    /// The row's next value.
    pub(crate) fn value<T>(&mut self, value: T) -> &mut Self
    where
        DB: Bind<T>,
    {
        if self.in_row > 0 {
            self.query.push(", ");
        }
        self.in_row += 1;
        DB::push_to(&mut self.query, value);
        self
    }

    /// The statement, with `tail` after the last row (`RETURNING ...`, or nothing).
    pub(crate) fn finish(mut self, tail: &str) -> QueryBuilder<DB> {
        if self.rows > 0 {
            self.query.push(")");
        }
        self.query.push(tail);
        self.query
    }
}
