//! The small Markdown of the guidance content as HTML: `##` headings, paragraphs, `-` and `1.`
//! lists, `**bold**`, `` `code` `` spans, `[text](https://...)` and `[text](page:ID)` links, and
//! citations `[1]` linked to the page's numbered sources (`#source-1`). Everything is escaped
//! first; only these constructs produce tags.

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Inline text: code spans (between backticks, shown as they are), and the rest.
fn inline(text: &str) -> String {
    let mut out = String::new();
    let parts: Vec<&str> = text.split('`').collect();
    // An unpaired backtick is text.
    let paired = parts.len() % 2 == 1;
    for (i, part) in parts.iter().enumerate() {
        if i % 2 == 1 && (paired || i + 1 < parts.len()) {
            out.push_str("<code class=\"app-code\">");
            out.push_str(&escape(part));
            out.push_str("</code>");
        } else {
            if i % 2 == 1 {
                out.push('`');
            }
            out.push_str(&links(part));
        }
    }
    out
}

/// The number of a citation at the start of `after` (the text after a `[`): `1]` but not
/// `1](...)`.
fn citation(after: &str) -> Option<(&str, &str)> {
    let close = after.find(']')?;
    let number = &after[..close];
    let tail = &after[close + 1..];
    (!number.is_empty()
        && number.len() <= 3
        && number.bytes().all(|b| b.is_ascii_digit())
        && !tail.starts_with('('))
    .then_some((number, tail))
}

fn links(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        out.push_str(&bold(&escape(&rest[..open])));
        let after = &rest[open + 1..];
        if let Some((number, tail)) = citation(after) {
            out.push_str(&format!(
                "<a class=\"govuk-link\" href=\"#source-{number}\" aria-label=\"source {number}\">[{number}]</a>"
            ));
            rest = tail;
            continue;
        }
        let parsed = after.find("](").and_then(|close| {
            let target = &after[close + 2..];
            target
                .find(')')
                .map(|end| (&after[..close], &target[..end], &target[end + 1..]))
        });
        match parsed {
            Some((label, target, tail)) => {
                if let Some(id) = target.strip_prefix("page:") {
                    out.push_str(&format!(
                        "<a class=\"govuk-link\" href=\"/guidance/{}\">{}</a>",
                        escape(id),
                        bold(&escape(label))
                    ));
                } else if target.starts_with("https://") {
                    out.push_str(&format!(
                        "<a class=\"govuk-link\" href=\"{}\" rel=\"noreferrer noopener\">{}</a>",
                        escape(target),
                        bold(&escape(label))
                    ));
                } else {
                    out.push_str(&escape(&format!("[{label}]({target})")));
                }
                rest = tail;
            }
            None => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(&bold(&escape(rest)));
    out
}

fn bold(escaped: &str) -> String {
    let mut out = String::new();
    for (i, part) in escaped.split("**").enumerate() {
        if i % 2 == 1 {
            out.push_str("<strong>");
            out.push_str(part);
            out.push_str("</strong>");
        } else {
            out.push_str(part);
        }
    }
    out
}

/// The body as HTML.
pub fn to_html(body: &str) -> String {
    let mut out = String::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let mut list: Option<&str> = None;
    let flush_p = |out: &mut String, paragraph: &mut Vec<&str>| {
        if !paragraph.is_empty() {
            out.push_str("<p class=\"govuk-body\">");
            out.push_str(&inline(&paragraph.join(" ")));
            out.push_str("</p>\n");
            paragraph.clear();
        }
    };
    let close_list = |out: &mut String, list: &mut Option<&str>| {
        if let Some(tag) = list.take() {
            out.push_str(&format!("</{tag}>\n"));
        }
    };
    for line in body.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            flush_p(&mut out, &mut paragraph);
            close_list(&mut out, &mut list);
        } else if let Some(heading) = trimmed.strip_prefix("### ") {
            flush_p(&mut out, &mut paragraph);
            close_list(&mut out, &mut list);
            out.push_str(&format!(
                "<h3 class=\"govuk-heading-s\">{}</h3>\n",
                inline(heading)
            ));
        } else if let Some(heading) = trimmed.strip_prefix("## ") {
            flush_p(&mut out, &mut paragraph);
            close_list(&mut out, &mut list);
            out.push_str(&format!(
                "<h2 class=\"govuk-heading-m\">{}</h2>\n",
                inline(heading)
            ));
        } else if let Some(item) = trimmed.strip_prefix("- ") {
            flush_p(&mut out, &mut paragraph);
            if list != Some("ul") {
                close_list(&mut out, &mut list);
                out.push_str("<ul class=\"govuk-list govuk-list--bullet\">\n");
                list = Some("ul");
            }
            out.push_str(&format!("<li>{}</li>\n", inline(item)));
        } else if let Some((number, item)) = trimmed.split_once(". ")
            && !number.is_empty()
            && number.bytes().all(|b| b.is_ascii_digit())
        {
            flush_p(&mut out, &mut paragraph);
            if list != Some("ol") {
                close_list(&mut out, &mut list);
                out.push_str("<ol class=\"govuk-list govuk-list--number\">\n");
                list = Some("ol");
            }
            out.push_str(&format!("<li>{}</li>\n", inline(item)));
        } else if list.is_some() && line.starts_with("  ") {
            // A continuation of the last list item.
            if out.ends_with("</li>\n") {
                out.truncate(out.len() - "</li>\n".len());
                out.push(' ');
                out.push_str(&inline(trimmed));
                out.push_str("</li>\n");
            }
        } else {
            close_list(&mut out, &mut list);
            paragraph.push(trimmed);
        }
    }
    flush_p(&mut out, &mut paragraph);
    close_list(&mut out, &mut list);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_links() {
        let html = to_html(
            "## Head\n\nSee [the page](page:nom/introduction) and <b>**this**</b>.\n\n- one\n- two",
        );
        assert!(html.contains("<h2 class=\"govuk-heading-m\">Head</h2>"));
        assert!(html.contains("href=\"/guidance/nom/introduction\""));
        assert!(html.contains("&lt;b&gt;<strong>this</strong>&lt;/b&gt;"));
        assert!(html.contains("<li>one</li>"));
        assert!(!html.contains("javascript:"));
        let hostile = to_html("[x](javascript:alert(1))");
        assert!(!hostile.contains("href"));
    }

    #[test]
    fn code_spans_and_citations() {
        let html = to_html("Use `BAIL-PERIOD` and `<x>` [1][2], see [the page](page:a/b) [3].");
        assert!(html.contains("<code class=\"app-code\">BAIL-PERIOD</code>"));
        assert!(html.contains("<code class=\"app-code\">&lt;x&gt;</code>"));
        assert!(html.contains("href=\"#source-1\""));
        assert!(html.contains("href=\"#source-2\""));
        assert!(html.contains("href=\"#source-3\""));
        assert!(html.contains("href=\"/guidance/a/b\""));
        // Inside a code span nothing is a link or bold.
        let code = to_html("`[1] **x**`");
        assert!(!code.contains("href") && !code.contains("<strong>"));
        // An unpaired backtick is text.
        assert!(to_html("a ` b").contains("a ` b"));
    }
}
