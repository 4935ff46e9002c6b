//! Content pages a plugin ships: Markdown files with front matter, such as local SARC and ISVA
//! contacts and referral routes. Content needs no native code.
//!
//! ```text
//! ---
//! title: Eastvale SARC
//! kind: contact
//! ---
//! Body in Markdown.
//! ```

use std::collections::BTreeMap;

/// One page from a plugin's content folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentPage {
    /// The plugin that ships it.
    pub plugin: String,
    /// `PLUGIN/PATH` without `.md`: `eastvale-content/sarc`.
    pub id: String,
    /// From the front matter (required).
    pub title: String,
    /// Every front matter field, `title` included.
    pub front_matter: BTreeMap<String, String>,
    /// The Markdown after the front matter.
    pub body: String,
}

/// The pages under `dir` among a verified folder's `files`.
pub fn pages(
    plugin: &str,
    dir: &str,
    files: &BTreeMap<String, Vec<u8>>,
) -> Result<Vec<ContentPage>, String> {
    let prefix = format!("{}/", dir.trim_end_matches('/'));
    let mut pages = Vec::new();
    for (path, bytes) in files {
        let Some(relative) = path.strip_prefix(&prefix) else {
            continue;
        };
        let Some(stem) = relative.strip_suffix(".md") else {
            continue;
        };
        let text = std::str::from_utf8(bytes).map_err(|_| format!("{path}: not UTF-8"))?;
        let (front_matter, body) =
            front_matter(text).map_err(|message| format!("{path}: {message}"))?;
        let title = front_matter
            .get("title")
            .cloned()
            .ok_or_else(|| format!("{path}: front matter has no `title`"))?;
        pages.push(ContentPage {
            plugin: plugin.to_owned(),
            id: format!("{plugin}/{stem}"),
            title,
            front_matter,
            body: body.to_owned(),
        });
    }
    if pages.is_empty() {
        return Err(format!("no pages (`.md` files) under `{dir}`"));
    }
    Ok(pages)
}

/// Splits `---` front matter of `key: value` lines from the body.
fn front_matter(text: &str) -> Result<(BTreeMap<String, String>, &str), String> {
    let rest = text
        .strip_prefix("---\n")
        .ok_or("must start with `---` front matter")?;
    let end = rest
        .find("\n---\n")
        .ok_or("front matter is not closed by `---`")?;
    let mut fields = BTreeMap::new();
    for (number, line) in rest[..end].lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let (key, value) = line
            .split_once(':')
            .ok_or_else(|| format!("front matter line {}: expected `key: value`", number + 2))?;
        fields.insert(key.trim().to_owned(), value.trim().to_owned());
    }
    Ok((fields, &rest[end + 5..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_have_front_matter_with_a_title() {
        let mut files = BTreeMap::new();
        files.insert(
            "content/sarc.md".to_owned(),
            b"---\ntitle: A SARC\nkind: contact\n---\nCall us.\n".to_vec(),
        );
        files.insert("plugin.toml".to_owned(), b"".to_vec());
        let pages = pages("p", "content", &files).expect("valid");
        assert_eq!(pages.len(), 1);
        assert_eq!(pages[0].id, "p/sarc");
        assert_eq!(pages[0].title, "A SARC");
        assert_eq!(pages[0].body, "Call us.\n");
        files.insert("content/bad.md".to_owned(), b"no front matter".to_vec());
        let error = super::pages("p", "content", &files).expect_err("invalid");
        assert!(error.starts_with("content/bad.md:"), "{error}");
    }
}
