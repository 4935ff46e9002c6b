//! Reading and validating content: the national pages embedded in the binary, and extra folders
//! (a force's local pages and contacts) with the same checks.
//!
//! A content folder holds `pages/**/*.md` (one page per file, TOML front matter between `+++`
//! lines, the id equal to the path below `pages/` without `.md`) and optionally `signposts.toml`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use chrono::{Months, NaiveDate};
use serde::Deserialize;

use crate::library::Library;
use crate::model::{Origin, Page, Role, Signpost, Source, Stage, When};

/// How serious a problem is: errors make content unusable; warnings (a page past its review date)
/// are reported and the content is still used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// One thing wrong with the content, naming the file and, where known, the line and field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub severity: Severity,
    pub file: String,
    pub line: Option<usize>,
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, ": {level}: ")?;
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Everything found wrong while loading.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub problems: Vec<Problem>,
}

impl Report {
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Warning)
    }

    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for problem in &self.problems {
            writeln!(f, "{problem}")?;
        }
        Ok(())
    }
}

/// Loading failed: the content has errors (listed), or a folder could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("the guidance content has {} error(s):\n{report}", report.errors().count())]
    Invalid { report: Report },
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// The national content compiled into the binary.
mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// One file waiting to be parsed.
#[derive(Debug)]
struct ContentFile {
    origin: Origin,
    /// Path relative to its content folder (`pages/a/b.md`, `signposts.toml`).
    relative: String,
    /// Path for messages.
    display: String,
    text: String,
}

/// Collects content folders, then parses and validates them together (ids are unique across all
/// folders, and links may point from a local page to a national one).
#[derive(Debug)]
pub struct Loader {
    files: Vec<ContentFile>,
    known_rules: BTreeSet<String>,
    /// Rule id -> page id that must explain it.
    required: Vec<(String, String)>,
    today: Option<NaiveDate>,
    has_national: bool,
}

impl Default for Loader {
    fn default() -> Self {
        Self::new()
    }
}

impl Loader {
    /// A loader that knows the national rule set: every national rule must have its page.
    pub fn new() -> Self {
        let rules = domain::rules::RuleSet::national();
        let known_rules = rules.rules().iter().map(|r| r.id.to_string()).collect();
        let required = domain::rules::NATIONAL_GUIDANCE
            .iter()
            .map(|(rule, page)| ((*rule).to_owned(), (*page).to_owned()))
            .collect();
        Loader {
            files: Vec::new(),
            known_rules,
            required,
            today: None,
            has_national: false,
        }
    }

    /// Rules a plugin adds: pages may name them, and each needs a page that does.
    pub fn known_rules(mut self, rules: impl IntoIterator<Item = String>) -> Self {
        self.known_rules.extend(rules);
        self
    }

    /// The date to judge review dates by (no warning without it).
    pub fn today(mut self, today: NaiveDate) -> Self {
        self.today = Some(today);
        self
    }

    /// The national content compiled into this binary.
    pub fn add_embedded(mut self) -> Self {
        self.has_national = true;
        for (relative, text) in embedded::FILES {
            self.files.push(ContentFile {
                origin: Origin::National,
                relative: (*relative).to_owned(),
                display: format!("content/{relative}"),
                text: (*text).to_owned(),
            });
        }
        self
    }

    /// A content folder on disk: `pages/**/*.md` and `signposts.toml`.
    pub fn add_dir(mut self, dir: &Path, origin: Origin) -> Result<Self, LoadError> {
        if origin == Origin::National {
            self.has_national = true;
        }
        let io = |path: &Path, source| LoadError::Io {
            path: path.display().to_string(),
            source,
        };
        let meta = std::fs::metadata(dir).map_err(|e| io(dir, e))?;
        if !meta.is_dir() {
            return Err(io(
                dir,
                std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a folder"),
            ));
        }
        let mut found = Vec::new();
        let pages = dir.join("pages");
        if pages.is_dir() {
            walk(&pages, &mut found).map_err(|(path, e)| io(&path, e))?;
        }
        let signposts = dir.join("signposts.toml");
        if signposts.is_file() {
            found.push(signposts);
        }
        found.sort();
        for path in found {
            let text = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
            let relative = path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            self.files.push(ContentFile {
                origin: origin.clone(),
                relative,
                display: path.display().to_string(),
                text,
            });
        }
        Ok(self)
    }

    /// One file given as text (for tests and for plugins that carry content in memory).
    pub fn add_text(mut self, origin: Origin, relative: &str, text: &str) -> Self {
        if origin == Origin::National {
            self.has_national = true;
        }
        self.files.push(ContentFile {
            display: relative.to_owned(),
            relative: relative.to_owned(),
            origin,
            text: text.to_owned(),
        });
        self
    }

    /// Parses and validates everything: the library of usable pages and signposts, and every
    /// problem found.
    pub fn load(self) -> (Library, Report) {
        let mut report = Report::default();
        let mut pages: Vec<Page> = Vec::new();
        let mut signposts: Vec<Signpost> = Vec::new();
        for file in &self.files {
            if file.relative == "signposts.toml" {
                signposts.extend(parse_signposts(file, &mut report));
            } else if let Some(stem) = file
                .relative
                .strip_prefix("pages/")
                .and_then(|p| p.strip_suffix(".md"))
            {
                if let Some(page) = parse_page(file, stem, &mut report) {
                    pages.push(page);
                }
            }
        }
        self.validate(&mut pages, &signposts, &mut report);
        report
            .problems
            .sort_by(|a, b| (b.severity, &a.file, a.line).cmp(&(a.severity, &b.file, b.line)));
        (Library::new(pages, signposts), report)
    }

    /// `load`, failing on any error.
    pub fn load_strict(self) -> Result<(Library, Report), LoadError> {
        let (library, report) = self.load();
        if report.has_errors() {
            return Err(LoadError::Invalid { report });
        }
        Ok((library, report))
    }

    fn validate(&self, pages: &mut Vec<Page>, signposts: &[Signpost], report: &mut Report) {
        // Duplicate ids: the later file is refused.
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        let mut keep = Vec::with_capacity(pages.len());
        for page in pages.drain(..) {
            if let Some(first) = seen.get(&page.id) {
                report.problems.push(problem(
                    &page.file,
                    page.lines.field("id"),
                    Some("id"),
                    format!("duplicate page id `{}` (also in {first})", page.id),
                ));
                continue;
            }
            seen.insert(page.id.clone(), page.file.clone());
            keep.push(page);
        }
        *pages = keep;
        let ids: BTreeSet<&str> = pages.iter().map(|p| p.id.as_str()).collect();

        for page in pages.iter() {
            for rule in &page.rules {
                if !self.known_rules.contains(rule) {
                    report.problems.push(problem(
                        &page.file,
                        page.lines.field("rules"),
                        Some("rules"),
                        format!("unknown rule id `{rule}`"),
                    ));
                }
            }
            for (line, target) in internal_links(&page.body) {
                if !ids.contains(target.as_str()) {
                    report.problems.push(problem(
                        &page.file,
                        Some(page.lines.before_body + line),
                        Some("body"),
                        format!("broken internal link to `page:{target}`"),
                    ));
                }
            }
            if let Some(today) = self.today
                && let Some(limit) = page.reviewed.checked_add_months(Months::new(12))
                && today > limit
            {
                report.problems.push(Problem {
                    severity: Severity::Warning,
                    file: page.file.clone(),
                    line: page.lines.field("reviewed"),
                    field: Some("reviewed".to_owned()),
                    message: format!(
                        "last reviewed {}, more than a year before {today}",
                        page.reviewed
                    ),
                });
            }
        }

        // Every national rule has its page, and the page lists it.
        if self.has_national {
            for (rule, page_id) in &self.required {
                match pages.iter().find(|p| &p.id == page_id) {
                    None => report.problems.push(problem(
                        "content/pages",
                        None,
                        None,
                        format!("rule {rule} has no page: expected `pages/{page_id}.md`"),
                    )),
                    Some(page) if !page.rules.contains(rule) => report.problems.push(problem(
                        &page.file,
                        page.lines.field("rules"),
                        Some("rules"),
                        format!("the page for rule {rule} must list it in `rules`"),
                    )),
                    Some(_) => {}
                }
            }
        }
        // Every other known rule (a plugin's) is explained by some page.
        let required: BTreeSet<&str> = self.required.iter().map(|(r, _)| r.as_str()).collect();
        for rule in &self.known_rules {
            if self.has_national || !required.contains(rule.as_str()) {
                let explained = pages.iter().any(|p| p.rules.contains(rule));
                if !explained && !required.contains(rule.as_str()) {
                    report.problems.push(problem(
                        "content/pages",
                        None,
                        None,
                        format!("rule {rule} has no page listing it in `rules`"),
                    ));
                }
            }
        }

        let mut signpost_ids: BTreeSet<&str> = BTreeSet::new();
        for signpost in signposts {
            let line = signpost.line;
            if !signpost_ids.insert(&signpost.id) {
                report.problems.push(problem(
                    &signpost.file,
                    line,
                    Some("id"),
                    format!("duplicate signpost id `{}`", signpost.id),
                ));
            }
            for rule in &signpost.when.rules {
                if !self.known_rules.contains(rule) {
                    report.problems.push(problem(
                        &signpost.file,
                        line,
                        Some("when.rules"),
                        format!("unknown rule id `{rule}` in signpost `{}`", signpost.id),
                    ));
                }
            }
        }
    }
}

fn problem(file: &str, line: Option<usize>, field: Option<&str>, message: String) -> Problem {
    Problem {
        severity: Severity::Error,
        file: file.to_owned(),
        line,
        field: field.map(str::to_owned),
        message,
    }
}

fn walk(
    dir: &Path,
    found: &mut Vec<std::path::PathBuf>,
) -> Result<(), (std::path::PathBuf, std::io::Error)> {
    let entries = std::fs::read_dir(dir).map_err(|e| (dir.to_path_buf(), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| (dir.to_path_buf(), e))?;
        let path = entry.path();
        if path.is_dir() {
            walk(&path, found)?;
        } else if path.extension().and_then(|e| e.to_str()) == Some("md") {
            found.push(path);
        }
    }
    Ok(())
}

/// The front matter as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    id: String,
    title: String,
    summary: String,
    roles: Vec<Role>,
    stages: Vec<Stage>,
    #[serde(default)]
    restricted: bool,
    #[serde(default)]
    rules: Vec<String>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    sources: Vec<Source>,
    version: u32,
    reviewed: toml::value::Datetime,
}

/// Splits `+++\n<toml>\n+++\n<body>`: (front matter, line of its first line, body, line of the
/// body's first line).
fn split_front_matter(text: &str) -> Option<(&str, &str, usize)> {
    let rest = text
        .strip_prefix("+++\n")
        .or_else(|| text.strip_prefix("+++\r\n"))?;
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "+++" {
            let front = &rest[..offset];
            let body = &rest[offset + line.len()..];
            let body_line = 2 + front.lines().count() + 1;
            return Some((front, body, body_line));
        }
        offset += line.len();
    }
    None
}

fn parse_page(file: &ContentFile, stem: &str, report: &mut Report) -> Option<Page> {
    let err = |report: &mut Report, line, field: Option<&str>, message: String| {
        report
            .problems
            .push(problem(&file.display, line, field, message));
    };
    let Some((front, body, _)) = split_front_matter(&file.text) else {
        err(
            report,
            Some(1),
            None,
            "a page starts with TOML front matter between `+++` lines".to_owned(),
        );
        return None;
    };
    let parsed: FrontMatter = match toml::from_str(front) {
        Ok(parsed) => parsed,
        Err(error) => {
            // Line 1 is the opening `+++`; front matter starts on line 2.
            let line = error
                .span()
                .map(|span| 2 + front[..span.start.min(front.len())].matches('\n').count());
            let field = field_at(front, line.map(|l| l - 2));
            err(report, line, field.as_deref(), error.message().to_owned());
            return None;
        }
    };
    let mut ok = true;
    let at = |field: &str| line_of_field(&file.text, field);
    if parsed.id != stem {
        err(
            report,
            at("id"),
            Some("id"),
            format!(
                "id `{}` does not match the file's path (expected `{stem}`)",
                parsed.id
            ),
        );
        ok = false;
    }
    if !valid_id(&parsed.id) {
        err(
            report,
            at("id"),
            Some("id"),
            format!(
                "id `{}` must be lowercase words joined by `-`, in `/`-separated parts",
                parsed.id
            ),
        );
        ok = false;
    }
    for (field, value) in [("title", &parsed.title), ("summary", &parsed.summary)] {
        if value.trim().is_empty() {
            err(
                report,
                at(field),
                Some(field),
                "must not be empty".to_owned(),
            );
            ok = false;
        }
    }
    if parsed.roles.is_empty() {
        err(
            report,
            at("roles"),
            Some("roles"),
            "name at least one role".to_owned(),
        );
        ok = false;
    }
    if parsed.stages.is_empty() {
        err(
            report,
            at("stages"),
            Some("stages"),
            "name at least one stage".to_owned(),
        );
        ok = false;
    }
    if parsed.sources.is_empty() {
        err(
            report,
            at("sources").or(at("id")),
            Some("sources"),
            "a page cites at least one public source".to_owned(),
        );
        ok = false;
    }
    for source in &parsed.sources {
        if source.title.trim().is_empty() || !source.url.starts_with("https://") {
            err(
                report,
                line_of_text(&file.text, &source.url).or(at("sources")),
                Some("sources"),
                format!(
                    "each source needs a title and an https:// address (got `{}`)",
                    source.url
                ),
            );
            ok = false;
        }
    }
    let reviewed = parsed.reviewed.date.and_then(|d| {
        NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
    });
    let Some(reviewed) = reviewed else {
        err(
            report,
            at("reviewed"),
            Some("reviewed"),
            "must be a date, e.g. 2026-11-28".to_owned(),
        );
        return None;
    };
    let body_start = file.text.len() - body.len();
    for (line, number) in citations(body) {
        if number == 0 || number > parsed.sources.len() {
            err(
                report,
                Some(file.text[..body_start].matches('\n').count() + line),
                Some("body"),
                format!(
                    "citation [{number}] has no source (the page lists {})",
                    parsed.sources.len()
                ),
            );
            ok = false;
        }
    }
    if body.trim().is_empty() {
        err(
            report,
            at("id"),
            Some("body"),
            "the page has no body".to_owned(),
        );
        ok = false;
    }
    if !ok {
        return None;
    }
    let mut fields = BTreeMap::new();
    for name in [
        "id",
        "title",
        "summary",
        "roles",
        "stages",
        "restricted",
        "rules",
        "keywords",
        "sources",
        "version",
        "reviewed",
    ] {
        if let Some(line) = at(name) {
            fields.insert(name.to_owned(), line);
        }
    }
    Some(Page {
        lines: crate::model::Lines {
            fields,
            before_body: file.text[..body_start].matches('\n').count(),
        },
        id: parsed.id,
        title: parsed.title,
        summary: parsed.summary,
        roles: parsed.roles,
        stages: parsed.stages,
        restricted: parsed.restricted,
        rules: parsed.rules,
        keywords: parsed.keywords,
        sources: parsed.sources,
        version: parsed.version,
        reviewed,
        body: body.to_owned(),
        origin: file.origin.clone(),
        file: file.display.clone(),
    })
}

/// The signposts file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignpostFile {
    #[serde(default)]
    signpost: Vec<RawSignpost>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSignpost {
    id: String,
    title: String,
    url: String,
    summary: String,
    audience: Vec<Role>,
    #[serde(default)]
    contact: Option<String>,
    when: When,
}

fn parse_signposts(file: &ContentFile, report: &mut Report) -> Vec<Signpost> {
    let parsed: SignpostFile = match toml::from_str(&file.text) {
        Ok(parsed) => parsed,
        Err(error) => {
            let line = error.span().map(|span| {
                1 + file.text[..span.start.min(file.text.len())]
                    .matches('\n')
                    .count()
            });
            let field = field_at(&file.text, line.map(|l| l - 1));
            report.problems.push(problem(
                &file.display,
                line,
                field.as_deref(),
                error.message().to_owned(),
            ));
            return Vec::new();
        }
    };
    // The line of each entry's `id`, in order: the first `id =` after each `[[signpost]]`.
    let lines: Vec<&str> = file.text.lines().collect();
    let id_lines: Vec<Option<usize>> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.trim() == "[[signpost]]")
        .map(|(header, _)| {
            lines[header..]
                .iter()
                .position(|l| {
                    l.trim_start().starts_with("id ") || l.trim_start().starts_with("id=")
                })
                .map(|offset| header + offset + 1)
        })
        .collect();
    let mut out = Vec::new();
    for (index, raw) in parsed.signpost.into_iter().enumerate() {
        let line = id_lines.get(index).copied().flatten();
        let mut ok = true;
        if !raw.url.starts_with("https://") && !raw.url.starts_with("tel:") {
            report.problems.push(problem(
                &file.display,
                line,
                Some("url"),
                format!("signpost `{}` needs an https:// (or tel:) address", raw.id),
            ));
            ok = false;
        }
        if raw.audience.is_empty() {
            report.problems.push(problem(
                &file.display,
                line,
                Some("audience"),
                format!("signpost `{}` names no audience", raw.id),
            ));
            ok = false;
        }
        if raw.when.is_empty() {
            report.problems.push(problem(
                &file.display,
                line,
                Some("when"),
                format!(
                    "signpost `{}` never applies: give `always`, `stages`, `rules` or `abroad`",
                    raw.id
                ),
            ));
            ok = false;
        }
        if ok {
            out.push(Signpost {
                id: raw.id,
                title: raw.title,
                url: raw.url,
                summary: raw.summary,
                audience: raw.audience,
                contact: raw.contact,
                when: raw.when,
                origin: file.origin.clone(),
                file: file.display.clone(),
                line,
            });
        }
    }
    out
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.split('/').all(|part| {
            !part.is_empty()
                && !part.starts_with('-')
                && !part.ends_with('-')
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

/// The 1-based line where `field = ...` is set, in a file or a front matter block.
fn line_of_field(text: &str, field: &str) -> Option<usize> {
    text.lines()
        .position(|line| {
            line.strip_prefix(field)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|i| i + 1)
}

fn line_of_text(text: &str, needle: &str) -> Option<usize> {
    text.lines()
        .position(|line| line.contains(needle))
        .map(|i| i + 1)
}

/// The field set on (0-based) line `line` of a TOML text, or the nearest one above it.
fn field_at(text: &str, line: Option<usize>) -> Option<String> {
    let line = line?;
    text.lines()
        .take(line + 1)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .find_map(|l| {
            let (key, _) = l.split_once('=')?;
            let key = key.trim();
            (!key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
                .then(|| key.to_owned())
        })
}

/// `[text](page:ID)` links in a body: (1-based line, ID without any `#anchor`).
pub(crate) fn internal_links(body: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (index, line) in body.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("](page:") {
            let after = &rest[at + "](page:".len()..];
            let end = after.find(')').unwrap_or(after.len());
            let target = after[..end].split('#').next().unwrap_or("").trim();
            out.push((index + 1, target.to_owned()));
            rest = &after[end..];
        }
    }
    out
}

/// Citations in a body, `[1]` or `[1, 2]` (not link text, which is followed by `(`): (1-based
/// line, source number).
pub(crate) fn citations(body: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (index, line) in body.lines().enumerate() {
        let bytes = line.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'[' {
                let start = i + 1;
                let mut j = start;
                while j < bytes.len()
                    && (bytes[j].is_ascii_digit() || bytes[j] == b',' || bytes[j] == b' ')
                {
                    j += 1;
                }
                let inner = &line[start..j];
                if j < bytes.len()
                    && bytes[j] == b']'
                    && bytes.get(j + 1) != Some(&b'(')
                    && inner.chars().any(|c| c.is_ascii_digit())
                {
                    for part in inner.split(',') {
                        if let Ok(n) = part.trim().parse::<usize>() {
                            out.push((index + 1, n));
                        }
                    }
                    i = j;
                }
            }
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn citations_are_found_and_links_are_not_citations() {
        let body = "A fact [1]. Two [1, 2].\nA [link](https://x) and [3] here.\n";
        assert_eq!(citations(body), vec![(1, 1), (1, 1), (1, 2), (2, 3)]);
    }

    #[test]
    fn internal_links_are_found() {
        let body = "See [bail](page:suspect/pre-charge-bail) and\n[x](page:a/b#part).";
        assert_eq!(
            internal_links(body),
            vec![
                (1, "suspect/pre-charge-bail".to_owned()),
                (2, "a/b".to_owned())
            ]
        );
    }

    #[test]
    fn ids_are_paths_of_lowercase_words() {
        assert!(valid_id("victims-code/right-6"));
        assert!(!valid_id("Victims/right"));
        assert!(!valid_id("a//b"));
        assert!(!valid_id("-a"));
    }
}
