//! Full-text search over the guidance (SQLite FTS5 in an in-memory database).
//!
//! Ranking is bm25 with the title weighted above keywords, keywords above the summary, and the
//! summary above the body, in tiers: the words exactly as typed in a title, keywords or summary;
//! every word there; the exact words anywhere; every word anywhere; and only when nothing matched,
//! any word. Matches in the short "head" of a page (title, keywords, summary) are looked up in a
//! second, small FTS5 table, so a very common word ("victim") is ranked over short texts and the
//! body-wide ranking is needed only when the head tiers do not fill the page of results.
//!
//! Users may write phrases (`"bail conditions"`) and prefixes (`bail*`); everything else they type
//! is searched literally, so a stray quote or an FTS operator can never become an SQL or FTS
//! syntax error.

use std::str::FromStr;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, Row, SqliteConnection};
use tokio::sync::Mutex;

use crate::library::Library;
use crate::model::{Page, Role, Stage, Viewer};
use crate::render::plain_text;

/// One tier over the page heads (title, keywords, summary), ranked by bm25 (weights 10, 6, 4).
const HEAD_SQL: &str = "SELECT f.rowid AS rid, f.rank AS score
    FROM head_fts f JOIN page p ON p.rowid = f.rowid
    WHERE head_fts MATCH ?1
      AND (p.restricted = 0 OR ?2)
      AND (?3 IS NULL OR instr(p.roles, ?3) > 0)
      AND (?4 IS NULL OR instr(p.stages, ?4) > 0)
    ORDER BY f.rank
    LIMIT ?5";

/// One tier over whole pages, ranked by bm25 (weights title 10, keywords 6, summary 4, body 1).
const PAGE_SQL: &str = "SELECT f.rowid AS rid, f.rank AS score
    FROM page_fts f JOIN page p ON p.rowid = f.rowid
    WHERE page_fts MATCH ?1
      AND (p.restricted = 0 OR ?2)
      AND (?3 IS NULL OR instr(p.roles, ?3) > 0)
      AND (?4 IS NULL OR instr(p.stages, ?4) > 0)
    ORDER BY f.rank
    LIMIT ?5";

/// A search failed.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The query has nothing to search for.
    #[error("the query has no words to search for")]
    Empty,
    /// The query is longer than anyone types.
    #[error("the query is too long ({0} characters; at most 500)")]
    TooLong(usize),
    #[error("the search index failed: {0}")]
    Index(#[from] sqlx::Error),
}

/// What to search for, for whom.
#[derive(Debug, Clone)]
pub struct SearchQuery {
    pub text: String,
    pub viewer: Viewer,
    /// Only pages written for this role.
    pub role: Option<Role>,
    /// Only pages for this stage.
    pub stage: Option<Stage>,
    pub limit: u32,
}

impl SearchQuery {
    /// A query for `text`, by a reader, with no filters and the default limit (10).
    pub fn new(text: impl Into<String>, viewer: Viewer) -> Self {
        SearchQuery {
            text: text.into(),
            viewer,
            role: None,
            stage: None,
            limit: 10,
        }
    }

    pub fn role(mut self, role: Role) -> Self {
        self.role = Some(role);
        self
    }

    pub fn stage(mut self, stage: Stage) -> Self {
        self.stage = Some(stage);
        self
    }

    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }
}

/// One result, best first.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Hit {
    pub id: String,
    pub title: String,
    pub summary: String,
    /// A few words of the body around the match, with matches in `[` `]`.
    pub snippet: String,
    /// bm25 score (lower is better, as SQLite reports it).
    pub score: f64,
    pub restricted: bool,
    pub local: bool,
}

/// An in-memory FTS5 index of a library. Searches are serialised on one connection; each takes
/// well under a millisecond on the shipped content.
#[derive(Debug)]
pub struct SearchIndex {
    connection: Mutex<SqliteConnection>,
    /// By rowid: what a hit shows.
    entries: Vec<Entry>,
}

/// A page as the index shows it in results.
#[derive(Debug)]
struct Entry {
    id: String,
    title: String,
    summary: String,
    /// The body as plain text, for snippets.
    body: String,
    restricted: bool,
    local: bool,
}

/// Which FTS5 table a tier searches.
#[derive(Debug, Clone, Copy)]
enum Table {
    Head,
    Page,
}

impl SearchIndex {
    /// Builds the index of every page (restricted ones included: they are filtered per reader at
    /// query time).
    pub async fn build(library: &Library) -> Result<Self, SearchError> {
        let mut connection = SqliteConnectOptions::from_str("sqlite::memory:")?
            .disable_statement_logging()
            .connect()
            .await?;
        sqlx::raw_sql(
            "CREATE TABLE page (
                 rowid INTEGER PRIMARY KEY,
                 id TEXT NOT NULL UNIQUE,
                 title TEXT NOT NULL,
                 summary TEXT NOT NULL,
                 restricted INTEGER NOT NULL,
                 local INTEGER NOT NULL,
                 roles TEXT NOT NULL,
                 stages TEXT NOT NULL
             );
             CREATE VIRTUAL TABLE page_fts USING fts5(
                 title, keywords, summary, body,
                 tokenize = 'porter unicode61 remove_diacritics 2'
             );
             CREATE VIRTUAL TABLE head_fts USING fts5(
                 title, keywords, summary,
                 tokenize = 'porter unicode61 remove_diacritics 2'
             );",
        )
        .execute(&mut connection)
        .await?;
        let mut entries = Vec::with_capacity(library.len());
        let mut tx = connection.begin().await?;
        for (index, page) in library.all_pages().enumerate() {
            let rowid = i64::try_from(index).unwrap_or(i64::MAX);
            let body = plain_text(&page.body);
            insert(&mut tx, rowid, page, &body).await?;
            entries.push(Entry {
                id: page.id.clone(),
                title: page.title.clone(),
                summary: page.summary.clone(),
                body,
                restricted: page.restricted,
                local: page.is_local(),
            });
        }
        tx.commit().await?;
        // bm25 with the column weights as FTS5's built-in `rank`, so `ORDER BY rank` lets FTS5
        // sort internally.
        sqlx::raw_sql(
            "INSERT INTO page_fts(page_fts, rank) VALUES ('rank', 'bm25(10.0, 6.0, 4.0, 1.0)');
             INSERT INTO head_fts(head_fts, rank) VALUES ('rank', 'bm25(10.0, 6.0, 4.0)');
             INSERT INTO page_fts(page_fts) VALUES ('optimize');
             INSERT INTO head_fts(head_fts) VALUES ('optimize');",
        )
        .execute(&mut connection)
        .await?;
        Ok(SearchIndex {
            connection: Mutex::new(connection),
            entries,
        })
    }

    /// Searches, best first. Restricted pages are never returned to a reader who is not police
    /// personnel.
    pub async fn search(&self, query: &SearchQuery) -> Result<Vec<Hit>, SearchError> {
        let parsed = parse_query(&query.text)?;
        let limit = query.limit as usize;
        let all = parsed.all();
        let in_titles = |fts: &str| format!("{{title keywords}} : ({fts})");
        let phrase_in_titles = parsed.whole_phrase.as_deref().map(in_titles);
        let all_in_titles = in_titles(&all);
        let mut tiers: Vec<(Table, &str)> = Vec::with_capacity(6);
        if let Some(phrase) = &phrase_in_titles {
            tiers.push((Table::Head, phrase));
        }
        tiers.push((Table::Head, &all_in_titles));
        if let Some(phrase) = &parsed.whole_phrase {
            tiers.push((Table::Head, phrase));
        }
        tiers.push((Table::Head, &all));
        if let Some(phrase) = &parsed.whole_phrase {
            tiers.push((Table::Page, phrase));
        }
        tiers.push((Table::Page, &all));
        let mut found: Vec<(usize, f64)> = Vec::with_capacity(limit);
        let mut connection = self.connection.lock().await;
        for (table, fts) in tiers {
            if found.len() >= limit {
                break;
            }
            self.tier(&mut connection, table, fts, query, &mut found)
                .await?;
        }
        if found.is_empty() && parsed.terms.len() > 1 {
            let any = parsed.any();
            let any_in_titles = in_titles(&any);
            for (table, fts) in [
                (Table::Head, any_in_titles.as_str()),
                (Table::Head, any.as_str()),
                (Table::Page, any.as_str()),
            ] {
                if found.len() >= limit {
                    break;
                }
                self.tier(&mut connection, table, fts, query, &mut found)
                    .await?;
            }
        }
        drop(connection);
        found.truncate(limit);
        let words = parsed.words();
        Ok(found
            .into_iter()
            .filter_map(|(index, score)| {
                let entry = self.entries.get(index)?;
                Some(Hit {
                    id: entry.id.clone(),
                    title: entry.title.clone(),
                    summary: entry.summary.clone(),
                    snippet: snippet(&entry.body, &words, 12),
                    score,
                    restricted: entry.restricted,
                    local: entry.local,
                })
            })
            .collect())
    }

    /// Runs one tier, adding the pages not already found, best first.
    async fn tier(
        &self,
        connection: &mut SqliteConnection,
        table: Table,
        fts_query: &str,
        query: &SearchQuery,
        found: &mut Vec<(usize, f64)>,
    ) -> Result<(), SearchError> {
        let sql = match table {
            Table::Head => HEAD_SQL,
            Table::Page => PAGE_SQL,
        };
        // Enough rows to fill the page after skipping the ones earlier tiers found.
        let want = i64::from(query.limit).saturating_add(i64::try_from(found.len()).unwrap_or(0));
        let rows = sqlx::query(sql)
            .bind(fts_query)
            .bind(query.viewer.is_police())
            .bind(query.role.map(|r| format!(" {r} ")))
            .bind(query.stage.map(|s| format!(" {s} ")))
            .bind(want)
            .fetch_all(&mut *connection)
            .await?;
        for row in rows {
            let rid: i64 = row.try_get("rid")?;
            let score: f64 = row.try_get("score")?;
            let Ok(index) = usize::try_from(rid) else {
                continue;
            };
            if found.len() < query.limit as usize && !found.iter().any(|(i, _)| *i == index) {
                found.push((index, score));
            }
        }
        Ok(())
    }

    /// The floor the benchmark compares against: an unranked match of the same query, no join,
    /// no filters, no snippet.
    pub async fn match_only(&self, text: &str, limit: u32) -> Result<usize, SearchError> {
        let parsed = parse_query(text)?;
        let mut connection = self.connection.lock().await;
        let rows = sqlx::query("SELECT rowid FROM page_fts WHERE page_fts MATCH ?1 LIMIT ?2")
            .bind(parsed.all())
            .bind(i64::from(limit))
            .fetch_all(&mut *connection)
            .await?;
        Ok(rows.len())
    }
}

async fn insert(
    connection: &mut SqliteConnection,
    rowid: i64,
    page: &Page,
    body: &str,
) -> Result<(), sqlx::Error> {
    let words = |items: Vec<&str>| format!(" {} ", items.join(" "));
    sqlx::query(
        "INSERT INTO page (rowid, id, title, summary, restricted, local, roles, stages)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .bind(rowid)
    .bind(&page.id)
    .bind(&page.title)
    .bind(&page.summary)
    .bind(page.restricted)
    .bind(page.is_local())
    .bind(words(page.roles.iter().map(|r| r.as_str()).collect()))
    .bind(words(page.stages.iter().map(|s| s.as_str()).collect()))
    .execute(&mut *connection)
    .await?;
    sqlx::query(
        "INSERT INTO page_fts (rowid, title, keywords, summary, body) VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .bind(rowid)
    .bind(&page.title)
    .bind(page.keywords.join(" "))
    .bind(&page.summary)
    .bind(body)
    .execute(&mut *connection)
    .await?;
    sqlx::query("INSERT INTO head_fts (rowid, title, keywords, summary) VALUES (?1, ?2, ?3, ?4)")
        .bind(rowid)
        .bind(&page.title)
        .bind(page.keywords.join(" "))
        .bind(&page.summary)
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// One thing the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    /// A word, matched after stemming; `prefix` when written `bail*`.
    Word { text: String, prefix: bool },
    /// Words in this order.
    Phrase(String),
}

impl Term {
    /// The term in FTS5 syntax: always quoted, so nothing the user typed is an operator.
    fn fts(&self) -> String {
        match self {
            Term::Word { text, prefix } => {
                format!(
                    "\"{}\"{}",
                    text.replace('"', "\"\""),
                    if *prefix { "*" } else { "" }
                )
            }
            Term::Phrase(text) => format!("\"{}\"", text.replace('"', "\"\"")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Parsed {
    terms: Vec<Term>,
    /// Everything typed as one phrase, when it has several plain words and no explicit phrase
    /// or prefix.
    whole_phrase: Option<String>,
}

impl Parsed {
    fn all(&self) -> String {
        self.terms
            .iter()
            .map(Term::fts)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The words searched for, lowercased, for snippets; prefixes keep their `*`.
    fn words(&self) -> Vec<String> {
        let mut words = Vec::new();
        for term in &self.terms {
            match term {
                Term::Word { text, prefix } => {
                    words.push(format!(
                        "{}{}",
                        text.to_lowercase(),
                        if *prefix { "*" } else { "" }
                    ));
                }
                Term::Phrase(text) => {
                    words.extend(text.split(' ').map(str::to_lowercase));
                }
            }
        }
        words
    }

    fn any(&self) -> String {
        self.terms
            .iter()
            .map(Term::fts)
            .collect::<Vec<_>>()
            .join(" OR ")
    }
}

/// Words that carry no meaning in a question ("what is the threshold test").
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "can", "do", "does", "for", "from", "how", "i",
    "in", "is", "it", "me", "my", "of", "on", "or", "should", "the", "to", "what", "when", "where",
    "which", "who", "why", "with",
];

/// Reads what the user typed: `"..."` is a phrase (an unclosed quote runs to the end), a word
/// ending in `*` is a prefix, anything else is a literal word. Punctuation is dropped.
fn parse_query(text: &str) -> Result<Parsed, SearchError> {
    let length = text.chars().count();
    if length > 500 {
        return Err(SearchError::TooLong(length));
    }
    let mut terms = Vec::new();
    let mut stopped = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix('"') {
            let (inside, remaining) = match after.find('"') {
                Some(end) => (&after[..end], &after[end + 1..]),
                None => (after, ""),
            };
            let words = clean_words(inside);
            if !words.is_empty() {
                terms.push(Term::Phrase(words.join(" ")));
            }
            rest = remaining;
            continue;
        }
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '"')
            .unwrap_or(rest.len());
        let word = &rest[..end];
        rest = &rest[end..];
        if word.is_empty() {
            continue;
        }
        let prefix = word.ends_with('*');
        let cleaned = clean_words(word);
        match cleaned.as_slice() {
            [] => {}
            [single] => {
                let term = Term::Word {
                    text: single.clone(),
                    prefix,
                };
                if !prefix && STOP_WORDS.contains(&single.to_lowercase().as_str()) {
                    stopped.push(term);
                } else {
                    terms.push(term);
                }
            }
            // `bail-conditions`, `victim's`: the parts as a phrase.
            several => terms.push(Term::Phrase(several.join(" "))),
        }
    }
    if terms.is_empty() {
        terms = stopped;
    }
    if terms.is_empty() {
        return Err(SearchError::Empty);
    }
    let plain = terms
        .iter()
        .all(|t| matches!(t, Term::Word { prefix: false, .. }));
    let words = clean_words(text);
    let whole_phrase = (plain && words.len() > 1).then(|| Term::Phrase(words.join(" ")).fts());
    Ok(Parsed {
        terms,
        whole_phrase,
    })
}

/// The alphanumeric runs of a text, as the FTS tokenizer would see them.
fn clean_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether a word of the text matches a searched word: the same word, a prefix search, or a
/// shared stem (the index stems with Porter; this is a close, cheap approximation for display).
fn matches_word(word: &str, searched: &str) -> bool {
    if let Some(prefix) = searched.strip_suffix('*') {
        return word.starts_with(prefix);
    }
    if word == searched {
        return true;
    }
    let common = word
        .chars()
        .zip(searched.chars())
        .take_while(|(a, b)| a == b)
        .count();
    common >= 4 && common + 4 >= searched.chars().count() && common + 4 >= word.chars().count()
}

/// About `size` words of `text` around the first match, matches in `[` `]`.
fn snippet(text: &str, searched: &[String], size: usize) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let is_match = |word: &str| {
        let bare: String = word
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect::<String>()
            .to_lowercase();
        !bare.is_empty() && searched.iter().any(|s| matches_word(&bare, s))
    };
    let first = words.iter().position(|w| is_match(w)).unwrap_or(0);
    let start = first.saturating_sub(size / 3);
    let end = (start + size).min(words.len());
    let mut out = String::new();
    if start > 0 {
        out.push_str("...");
    }
    for (offset, word) in words[start..end].iter().enumerate() {
        if offset > 0 || start > 0 {
            out.push(' ');
        }
        if is_match(word) {
            out.push('[');
            out.push_str(word);
            out.push(']');
        } else {
            out.push_str(word);
        }
    }
    if end < words.len() {
        out.push_str(" ...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fts(text: &str) -> String {
        parse_query(text).expect("parses").all()
    }

    #[test]
    fn words_phrases_and_prefixes() {
        assert_eq!(fts("bail conditions"), "\"bail\" \"conditions\"");
        assert_eq!(fts("\"bail conditions\""), "\"bail conditions\"");
        assert_eq!(fts("bail*"), "\"bail\"*");
        assert_eq!(fts("what is the threshold test"), "\"threshold\" \"test\"");
    }

    #[test]
    fn operators_and_stray_quotes_are_literal() {
        assert_eq!(fts("bail OR NOT"), "\"bail\" \"NOT\"");
        assert_eq!(fts("\"unclosed phrase"), "\"unclosed phrase\"");
        assert_eq!(fts("x\"y"), "\"x\" \"y\"");
        assert_eq!(fts("NEAR(bail rui)"), "\"NEAR bail\" \"rui\"");
        assert_eq!(fts("'; DROP TABLE page; --"), "\"DROP\" \"TABLE\" \"page\"");
    }

    #[test]
    fn nothing_to_search_is_a_clear_error() {
        assert!(matches!(
            parse_query("  \"\" * -- "),
            Err(SearchError::Empty)
        ));
        assert!(matches!(
            parse_query(&"x".repeat(600)),
            Err(SearchError::TooLong(600))
        ));
    }

    #[test]
    fn snippets_mark_matches_near_the_first() {
        let text =
            "One two three four five six seven the superintendent may extend bail to nine months";
        let snippet = snippet(
            text,
            &["superintendent".to_owned(), "extension".to_owned()],
            8,
        );
        assert_eq!(
            snippet,
            "... seven the [superintendent] may [extend] bail to nine ..."
        );
    }

    #[test]
    fn only_stop_words_are_still_searched() {
        assert_eq!(fts("who"), "\"who\"");
    }
}
