//! The repository as a whole: it stands alone (no text points at documents, seeds or tracker
//! entries kept outside it), and the code map in `ARCHITECTURE.md` names paths that exist.

use std::fs;
use std::path::{Path, PathBuf};

/// The repository root: two levels above this crate's manifest.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .and_then(Path::parent)
        .expect("the crate lives at crates/NAME under the repository root")
        .to_path_buf()
}

/// Pointers matched as written. Each is built from pieces so that this file does not match it.
const POINTERS: [&str; 5] = [
    concat!("..", "/shared"),
    concat!("DESIGN", " §"),
    concat!("DESIGN", ".md"),
    concat!("reference", " §"),
    concat!("seed", " 00"),
];

/// The word that marks a tracker entry; matched case-insensitively (see [`points_at_a_tracker`]).
const TRACKER_WORD: &str = "issue";

/// A line names a tracker entry when the word [`TRACKER_WORD`] (not part of a longer word such as
/// `tissue`, `issued` or `issues`) is followed by a space and an ASCII digit, or comes right after
/// an opening parenthesis. Identifiers such as `issued` and the word alone ("the scale-out issue")
/// do not count.
fn points_at_a_tracker(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    lower.match_indices(TRACKER_WORD).any(|(start, word)| {
        let end = start + word.len();
        let before = start.checked_sub(1).map(|i| bytes[i]);
        if before.is_some_and(is_word) || bytes.get(end).copied().is_some_and(is_word) {
            return false;
        }
        let numbered =
            bytes.get(end) == Some(&b' ') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit);
        numbered || before == Some(b'(')
    })
}

/// The root `.gitignore`'s simple patterns: `name` (at any depth), `/name` (at the root only),
/// `*suffix`, each optionally with a trailing `/`. Other forms are not applied.
struct Ignored {
    anywhere: Vec<String>,
    at_root: Vec<String>,
    suffixes: Vec<String>,
}

impl Ignored {
    fn read(root: &Path) -> Self {
        let mut ignored = Self {
            anywhere: vec![".git".into(), "node_modules".into()],
            at_root: vec!["target".into()],
            suffixes: Vec::new(),
        };
        let text = fs::read_to_string(root.join(".gitignore")).unwrap_or_default();
        for pattern in text.lines().map(str::trim) {
            let pattern = pattern.trim_end_matches('/');
            if pattern.is_empty() || pattern.starts_with(['#', '!']) {
                continue;
            }
            if let Some(suffix) = pattern.strip_prefix('*') {
                if !suffix.contains(['*', '?', '[', '/']) {
                    ignored.suffixes.push(suffix.into());
                }
            } else if pattern.contains(['*', '?', '[']) {
                continue;
            } else if let Some(name) = pattern.strip_prefix('/') {
                if !name.contains('/') {
                    ignored.at_root.push(name.into());
                }
            } else if !pattern.contains('/') {
                ignored.anywhere.push(pattern.into());
            }
        }
        ignored
    }

    fn skips(&self, name: &str, at_root: bool) -> bool {
        self.anywhere.iter().any(|n| n == name)
            || (at_root && self.at_root.iter().any(|n| n == name))
            || self.suffixes.iter().any(|s| name.ends_with(s.as_str()))
    }
}

/// Every file git would track under `dir`, in a stable order. Symbolic links are not followed.
fn tracked_files(root: &Path, dir: &Path, ignored: &Ignored, files: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .expect("the directory is readable")
        .map(|entry| entry.expect("the directory entry is readable"))
        .collect();
    entries.sort_by_key(fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if ignored.skips(name, dir == root) {
            continue;
        }
        let kind = entry.file_type().expect("the file type is readable");
        if kind.is_dir() {
            tracked_files(root, &entry.path(), ignored, files);
        } else if kind.is_file() {
            files.push(entry.path());
        }
    }
}

/// Scans every text file of the repository (files that are not valid UTF-8 are skipped) for
/// pointers to material kept outside it: a sibling `shared` directory, the design document or
/// its sections, sections of the reference, numbered seeds, and tracker entries (see
/// [`points_at_a_tracker`]). Fails listing every `path:line` that has one.
#[test]
fn no_text_points_outside_the_repository() {
    let root = root();
    let mut files = Vec::new();
    tracked_files(&root, &root, &Ignored::read(&root), &mut files);
    assert!(
        files.iter().any(|f| f.ends_with("ARCHITECTURE.md")),
        "the walk found the repository's files"
    );
    let mut hits = Vec::new();
    for file in &files {
        let Ok(bytes) = fs::read(file) else { continue };
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        let shown = file.strip_prefix(&root).unwrap_or(file).display();
        for (number, line) in text.lines().enumerate() {
            if POINTERS.iter().any(|p| line.contains(p)) || points_at_a_tracker(line) {
                hits.push(format!("{shown}:{}: {}", number + 1, line.trim()));
            }
        }
    }
    assert!(
        hits.is_empty(),
        "{} lines point outside the repository; say what they mean in the project's own \
         words instead:\n{}",
        hits.len(),
        hits.join("\n")
    );
}

#[test]
fn the_tracker_rule_matches_numbered_and_parenthesised_entries_only() {
    let word = TRACKER_WORD;
    for hit in [
        format!("Hub benchmark ({word} 5)"),
        format!("see the report of {word} 12."),
        format!("# TLS ({word})"),
        format!("{} 7", word.to_ascii_uppercase()),
    ] {
        assert!(points_at_a_tracker(&hit), "{hit:?} is a pointer");
    }
    for miss in [
        format!("Some({word}d) => x"),
        format!("let {word}s = ({word}s * 2)"),
        format!("fn token_response({word}d: &IssuedTokens)"),
        format!("comes with the scale-out {word}."),
        format!("a t{word} 5"),
    ] {
        assert!(!points_at_a_tracker(&miss), "{miss:?} is not a pointer");
    }
}

/// Whether a backticked token of `ARCHITECTURE.md` is meant as a repository path: it contains a
/// `/` or ends in a source or document extension, and holds no whitespace or placeholder
/// (`…`, `*`, `{`, `<`). A token starting with `/` is an HTTP path (`/v1/finra`), not a file.
fn looks_like_a_path(token: &str) -> bool {
    const EXTENSIONS: [&str; 5] = [".rs", ".md", ".sql", ".sh", ".toml"];
    !token.is_empty()
        && !token.starts_with('/')
        && !token.contains(|c: char| c.is_whitespace() || "…*{<".contains(c))
        && (token.contains('/') || EXTENSIONS.iter().any(|e| token.ends_with(e)))
}

/// Whether `name` is a file somewhere under `dir`.
fn file_named_under(dir: &Path, name: &str) -> bool {
    let Ok(entries) = fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|entry| {
        let path = entry.path();
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => file_named_under(&path, name),
            Ok(kind) if kind.is_file() => entry.file_name().to_str() == Some(name),
            _ => false,
        }
    })
}

/// Where a token of `ARCHITECTURE.md` stands: the crate its section maps, and the directory its
/// list item opens with.
#[derive(Debug, Default)]
struct Place {
    /// `crates/NAME`, from a level-3 heading whose first token it is.
    crate_dir: Option<String>,
    /// `data/` in "- `data/`: `table.rs` (…)", relative to the crate's `src/`.
    item_dir: Option<String>,
}

/// The first backticked token of `line`, if the line has one.
fn first_token(line: &str) -> Option<&str> {
    let mut parts = line.split('`');
    parts.next();
    let token = parts.next()?;
    parts.next().map(|_| token)
}

/// Whether `token` names something that exists, read the way `ARCHITECTURE.md` writes paths
/// (rules in [`architecture_md_names_paths_that_exist`]).
fn resolves(root: &Path, place: &Place, token: &str) -> bool {
    let exists = |path: PathBuf| {
        if token.ends_with('/') {
            path.is_dir()
        } else {
            path.exists()
        }
    };
    if exists(root.join(token)) {
        return true;
    }
    let Some(crate_dir) = &place.crate_dir else {
        return false;
    };
    let crate_dir = root.join(crate_dir);
    let src = crate_dir.join("src");
    exists(src.join(token))
        || exists(crate_dir.join(token))
        || place.item_dir.as_ref().is_some_and(|dir| {
            exists(src.join(dir).join(token)) || exists(crate_dir.join(dir).join(token))
        })
        || (!token.contains('/') && file_named_under(&src, token))
}

/// The code map in `ARCHITECTURE.md` names real paths. Every backticked token outside fenced
/// blocks that looks like a repository path (see [`looks_like_a_path`]; a token may span a line
/// break) must exist, resolved like the document uses it:
/// - first relative to the repository root (`crates/finhub-clock`);
/// - inside a level-3 section whose heading's first token is `crates/NAME` (the section ends at
///   the next heading of level 2 or 3), also relative to `crates/NAME/src/` (`http/finra/`,
///   `config/example.rs`, `bin/finra/`) and to the crate's own directory (`migrations/`);
/// - there, in a list item that opens with a directory ("- `data/`: …"), also relative to that
///   directory under `src/` (`generators/` is `src/data/generators/`) or under the crate's own
///   directory (`common/wire.rs` in the `tests/` item);
/// - there, a bare file name (`raw.rs`, `mod.rs`) counts when a file of that name exists anywhere
///   under `crates/NAME/src/`;
/// - a token written with a trailing `/` must be a directory.
#[test]
fn architecture_md_names_paths_that_exist() {
    let root = root();
    let text = fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md is read");
    let mut place = Place::default();
    let mut fenced = false;
    let mut token: Option<(usize, String)> = None;
    let mut checked = 0;
    let mut missing = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        if token.is_none() && (line.starts_with("## ") || line.starts_with("### ")) {
            place = Place {
                crate_dir: line
                    .strip_prefix("### ")
                    .and_then(first_token)
                    .filter(|first| first.starts_with("crates/"))
                    .map(str::to_owned),
                item_dir: None,
            };
        } else if token.is_none() && line.starts_with("- ") {
            place.item_dir = first_token(line)
                .filter(|first| line.starts_with(&format!("- `{first}`")) && first.ends_with('/'))
                .map(str::to_owned);
        }
        for (i, part) in line.split('`').enumerate() {
            // Every backtick toggles between prose and code; a code span may go on to the next
            // line, so the state carries over.
            if i > 0 {
                token = match token.take() {
                    None => Some((number, String::new())),
                    Some((start, code)) => {
                        if looks_like_a_path(&code) {
                            checked += 1;
                            if !resolves(&root, &place, &code) {
                                missing.push(format!("ARCHITECTURE.md:{start}: `{code}`"));
                            }
                        }
                        None
                    }
                };
            }
            if let Some((_, code)) = &mut token {
                code.push_str(part);
            }
        }
        if let Some((_, code)) = &mut token {
            code.push('\n');
        }
    }
    assert!(token.is_none(), "ARCHITECTURE.md has an unclosed backtick");
    assert!(
        checked > 50,
        "the code map's paths were found ({checked} checked)"
    );
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names paths that do not exist; make it match the code:\n{}",
        missing.join("\n")
    );
}

/// `docs/contract.md` documents every route of the route table the router is built from
/// (for the proxied FINRA paths, the templates the proxy parses): one of its lines (a heading,
/// a table row) names the path and the method.
#[test]
fn the_contract_names_every_route() {
    let contract = fs::read_to_string(root().join("docs/contract.md")).expect("docs/contract.md");
    assert!(finhub_server::http::ENDPOINTS.len() >= 12);
    let missing: Vec<String> = finhub_server::http::ENDPOINTS
        .iter()
        .filter(|endpoint| {
            !contract.lines().any(|line| {
                names(line, endpoint.path)
                    && line
                        .split(|c: char| !c.is_ascii_uppercase())
                        .any(|word| word == endpoint.method.as_str())
            })
        })
        .map(|endpoint| format!("{} {}", endpoint.method, endpoint.path))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/contract.md does not name {missing:?}"
    );
}

/// Whether `text` names `route` whole: not as the start of a longer path.
fn names(text: &str, route: &str) -> bool {
    text.match_indices(route).any(|(at, _)| {
        text[at + route.len()..]
            .chars()
            .next()
            .is_none_or(|next| !(next.is_ascii_alphanumeric() || next == '/' || next == '{'))
    })
}
