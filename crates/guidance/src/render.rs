//! Pages as text: plain text for the search index, and a readable terminal rendering (title,
//! summary, body wrapped to the terminal's width, sources listed).
//!
//! The content uses a small part of Markdown: `##` headings, paragraphs, `-` and `1.` lists,
//! `**bold**`, `[text](https://...)` links, `[text](page:ID)` links to other pages, and `[1]`
//! citations of the page's sources.

use std::fmt::Write as _;

use crate::model::Page;

/// The body's words without Markdown markup or link addresses (what the index holds).
pub fn plain_text(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    for line in body.lines() {
        let line = line.trim_start_matches('#').trim();
        out.push_str(&strip_citations(&inline(line, false)));
        out.push('\n');
    }
    out
}

/// The text without `[1]`, `[1, 2]` citation markers.
fn strip_citations(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let end = after
            .find(|c: char| !(c.is_ascii_digit() || c == ',' || c == ' '))
            .unwrap_or(after.len());
        if after[end..].starts_with(']') && after[..end].chars().any(|c| c.is_ascii_digit()) {
            rest = &after[end + 1..];
        } else {
            out.push('[');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Inline markup: bold markers dropped; links become their text (with the address in angle
/// brackets, or the page id, when `addresses`).
fn inline(text: &str, addresses: bool) -> String {
    let text = text.replace("**", "").replace('`', "");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let Some(close) = after.find("](") else {
            out.push_str(&rest[..=open]);
            rest = after;
            continue;
        };
        let label = &after[..close];
        let target_start = &after[close + 2..];
        let Some(end) = target_start.find(')') else {
            out.push_str(&rest[..=open]);
            rest = after;
            continue;
        };
        if label.contains('[') {
            out.push_str(&rest[..=open]);
            rest = after;
            continue;
        }
        let target = &target_start[..end];
        out.push_str(&rest[..open]);
        out.push_str(label);
        if addresses {
            match target.strip_prefix("page:") {
                Some(id) => {
                    let _ = write!(out, " (see: {id})");
                }
                None => {
                    let _ = write!(out, " <{target}>");
                }
            }
        }
        rest = &target_start[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Wraps `text` to `width` columns, the first line after `first`, the rest after `indent`.
fn wrap(out: &mut String, text: &str, width: usize, first: &str, indent: &str) {
    let mut line = String::from(first);
    let mut empty = true;
    for word in text.split_whitespace() {
        let len = line.chars().count();
        if !empty && len + 1 + word.chars().count() > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = String::from(indent);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    if !empty {
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

/// A page for a terminal `width` columns wide.
pub fn to_terminal(page: &Page, width: usize) -> String {
    let width = width.clamp(40, 120);
    let mut out = String::new();
    out.push_str(&page.title);
    out.push('\n');
    out.push_str(&"=".repeat(page.title.chars().count().min(width)));
    out.push('\n');
    let mut tags = vec![format!("id: {}", page.id)];
    if page.restricted {
        tags.push("RESTRICTED: police personnel only".to_owned());
    }
    if page.is_local() {
        tags.push("local guidance".to_owned());
    }
    let _ = writeln!(out, "{}", tags.join("  |  "));
    let roles: Vec<&str> = page.roles.iter().map(|r| r.as_str()).collect();
    let stages: Vec<&str> = page.stages.iter().map(|s| s.as_str()).collect();
    wrap(
        &mut out,
        &format!("For: {}. Stages: {}.", roles.join(", "), stages.join(", ")),
        width,
        "",
        "  ",
    );
    if !page.rules.is_empty() {
        wrap(
            &mut out,
            &format!("Rules: {}", page.rules.join(", ")),
            width,
            "",
            "  ",
        );
    }
    out.push('\n');
    wrap(&mut out, &page.summary, width, "", "");

    // The block being gathered: a paragraph (no marker) or a list item (its marker), whose
    // lines are joined and wrapped when the block ends.
    let mut block: Option<(Option<String>, String)> = None;
    let mut in_list = false;
    let flush = |out: &mut String, block: &mut Option<(Option<String>, String)>, in_list: bool| {
        if let Some((marker, text)) = block.take() {
            match marker {
                Some(marker) => {
                    let indent = " ".repeat(marker.chars().count());
                    wrap(out, &inline(&text, true), width, &marker, &indent);
                }
                None => {
                    if !in_list {
                        out.push('\n');
                    }
                    wrap(out, &inline(&text, true), width, "", "");
                }
            }
        }
    };
    for line in page.body.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            flush(&mut out, &mut block, false);
            in_list = false;
            continue;
        }
        if trimmed.starts_with('|') {
            // A table row: cells separated by `  |  `; the `|---|` rule becomes a line.
            flush(&mut out, &mut block, in_list);
            let cells: Vec<&str> = trimmed
                .trim_matches('|')
                .split('|')
                .map(str::trim)
                .collect();
            if cells
                .iter()
                .all(|c| c.chars().all(|ch| ch == '-' || ch == ':'))
            {
                let _ = writeln!(out, "  {}", "-".repeat(width.saturating_sub(2).min(60)));
            } else {
                if !in_list {
                    out.push('\n');
                }
                let row = cells
                    .iter()
                    .map(|c| inline(c, true))
                    .collect::<Vec<_>>()
                    .join("  |  ");
                wrap(&mut out, &row, width, "  ", "      ");
            }
            in_list = true;
            continue;
        }
        if let Some(heading) = trimmed.strip_prefix('#') {
            flush(&mut out, &mut block, in_list);
            let heading = inline(heading.trim_start_matches('#').trim(), false);
            let _ = write!(
                out,
                "\n{heading}\n{}\n",
                "-".repeat(heading.chars().count().min(width))
            );
            in_list = false;
            continue;
        }
        let bullet = trimmed
            .strip_prefix("- ")
            .or_else(|| trimmed.strip_prefix("* "))
            .map(|rest| ("  - ".to_owned(), rest))
            .or_else(|| {
                let digits: String = trimmed.chars().take_while(char::is_ascii_digit).collect();
                let rest = trimmed[digits.len()..].strip_prefix(". ")?;
                (!digits.is_empty()).then(|| (format!("  {digits}. "), rest))
            });
        match bullet {
            Some((marker, rest)) => {
                flush(&mut out, &mut block, in_list);
                if !in_list {
                    out.push('\n');
                }
                block = Some((Some(marker), rest.to_owned()));
                in_list = true;
            }
            None => match &mut block {
                // A continuation line of a paragraph or a list item.
                Some((_, text)) => {
                    text.push(' ');
                    text.push_str(trimmed);
                }
                None => {
                    let after_list = in_list;
                    in_list = false;
                    block = Some((None, trimmed.to_owned()));
                    if after_list {
                        out.push('\n');
                        in_list = true;
                    }
                }
            },
        }
    }
    flush(&mut out, &mut block, in_list);

    let _ = write!(out, "\nSources\n-------\n");
    for (index, source) in page.sources.iter().enumerate() {
        let marker = format!("[{}] ", index + 1);
        let indent = " ".repeat(marker.len());
        wrap(&mut out, &source.title, width, &marker, &indent);
        let _ = writeln!(out, "{indent}{}", source.url);
    }
    let _ = writeln!(
        out,
        "\nVersion {}, reviewed {}.",
        page.version, page.reviewed
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_become_text() {
        assert_eq!(
            inline(
                "See [bail](page:suspect/pre-charge-bail) and [CPS](https://cps.gov.uk) [1].",
                false
            ),
            "See bail and CPS [1]."
        );
        assert_eq!(
            inline(
                "See [bail](page:suspect/pre-charge-bail) and [CPS](https://cps.gov.uk).",
                true
            ),
            "See bail (see: suspect/pre-charge-bail) and CPS <https://cps.gov.uk>."
        );
        assert_eq!(
            plain_text("## Head\n**Bold** text [1], [2, 3]."),
            "Head\nBold text , .\n"
        );
    }

    #[test]
    fn wrapping_keeps_within_width() {
        let mut out = String::new();
        wrap(&mut out, &"word ".repeat(40), 30, "  - ", "    ");
        assert!(out.lines().all(|l| l.chars().count() <= 30));
        assert!(out.starts_with("  - word"));
        assert!(
            out.lines()
                .nth(1)
                .is_some_and(|l| l.starts_with("    word"))
        );
    }
}
