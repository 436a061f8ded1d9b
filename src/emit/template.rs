//! `--template`: any command line, filled with a shard's items as the
//! chosen `--runner` names them. For runners shardplan has no file for.
//!
//! The template is split into words as a POSIX shell would (whitespace
//! separates, `'…'` and `"…"` group, `\` escapes), then placeholders are
//! filled in each word:
//!
//! | placeholder | becomes |
//! |---|---|
//! | `{items}` | as a word of its own, one word per item; inside a word, the items joined by spaces |
//! | `{items:SEP}` | the items joined by `SEP` (`-Dtest={items:,}`) |
//! | `{item}` | one command per item, each with that item |
//! | `{list_file}` | the path of a file holding the items, one per line (`--list-file`, else a temporary file) |
//! | `{index}`, `{shard}`, `{count}` | the shard's 0-based index, its 1-based number, the shard count |
//! | `{{`, `}}` | a literal brace |
//!
//! Items are keys at the plan's granularity, never compacted; a template
//! cannot express "every test but these", so it is never the catch-all.

use super::*;

/// A parsed `--template`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    words: Vec<Vec<Piece>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Items(Option<String>),
    Item,
    ListFile,
    Index,
    Shard,
    Count,
}

impl Template {
    /// Parses a template; the error names what is wrong.
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut words: Vec<Vec<Piece>> = Vec::new();
        let mut word: Option<Vec<Piece>> = None;
        let mut chars = text.chars().peekable();
        let text_piece = |word: &mut Option<Vec<Piece>>, c: char| {
            let pieces = word.get_or_insert_with(Vec::new);
            match pieces.last_mut() {
                Some(Piece::Text(t)) => t.push(c),
                _ => pieces.push(Piece::Text(c.to_string())),
            }
        };
        let mut quote: Option<char> = None;
        while let Some(c) = chars.next() {
            match (quote, c) {
                (None, c) if c.is_whitespace() => {
                    if let Some(done) = word.take() {
                        words.push(done);
                    }
                }
                (None, '\'' | '"') => {
                    quote = Some(c);
                    word.get_or_insert_with(Vec::new);
                }
                (Some(q), c) if c == q => quote = None,
                (None | Some('"'), '\\') => {
                    let next = chars
                        .next()
                        .ok_or("the template ends with a lone backslash")?;
                    if quote.is_some() && !matches!(next, '"' | '\\' | '$' | '`') {
                        text_piece(&mut word, '\\');
                    }
                    text_piece(&mut word, next);
                }
                (_, '{') if chars.peek() == Some(&'{') => {
                    chars.next();
                    text_piece(&mut word, '{');
                }
                (_, '}') if chars.peek() == Some(&'}') => {
                    chars.next();
                    text_piece(&mut word, '}');
                }
                (_, '{') => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) => name.push(c),
                            None => return Err(format!("`{{{name}` is not closed with `}}`")),
                        }
                    }
                    let piece = match name.as_str() {
                        "items" => Piece::Items(None),
                        "item" => Piece::Item,
                        "list_file" => Piece::ListFile,
                        "index" => Piece::Index,
                        "shard" => Piece::Shard,
                        "count" => Piece::Count,
                        other => match other.strip_prefix("items:") {
                            Some(separator) => Piece::Items(Some(separator.to_string())),
                            None => {
                                return Err(format!(
                                    "unknown placeholder `{{{other}}}`: the template knows {{items}}, \
                                     {{items:SEP}}, {{item}}, {{list_file}}, {{index}}, {{shard}}, \
                                     {{count}} (and {{{{ }}}} for braces)"
                                ));
                            }
                        },
                    };
                    word.get_or_insert_with(Vec::new).push(piece);
                }
                (None, '}') => return Err("a `}` without `{` (write `}}` for a brace)".into()),
                (_, c) => text_piece(&mut word, c),
            }
        }
        if let Some(q) = quote {
            return Err(format!("the template has an unclosed {q}"));
        }
        if let Some(done) = word.take() {
            words.push(done);
        }
        if words.is_empty() {
            return Err("the template is empty".into());
        }
        Ok(Template { words })
    }

    fn uses(&self, wanted: impl Fn(&Piece) -> bool) -> bool {
        self.words.iter().flatten().any(wanted)
    }

    /// The shard's commands: one, or one per item with `{item}`.
    pub fn render(&self, ctx: &RenderContext<'_>) -> Rendered {
        let items: Vec<&str> = ctx.items().iter().map(|i| i.key).collect();
        if items.is_empty() {
            return Rendered::commands(Vec::new())
                .notice(ctx.empty_notice("no command (an empty script)"));
        }
        let path = ctx.list_file.path.display().to_string();
        let fill = |item: Option<&str>| -> Vec<String> {
            let mut argv = Vec::new();
            for word in &self.words {
                if let [Piece::Items(None)] = word.as_slice() {
                    argv.extend(items.iter().map(|i| i.to_string()));
                    continue;
                }
                let mut text = String::new();
                for piece in word {
                    match piece {
                        Piece::Text(t) => text.push_str(t),
                        Piece::Items(separator) => {
                            text.push_str(&items.join(separator.as_deref().unwrap_or(" ")))
                        }
                        Piece::Item => text.push_str(item.unwrap_or("")),
                        Piece::ListFile => text.push_str(&path),
                        Piece::Index => text.push_str(&ctx.index.to_string()),
                        Piece::Shard => text.push_str(&(ctx.index + 1).to_string()),
                        Piece::Count => text.push_str(&ctx.count().to_string()),
                    }
                }
                argv.push(text);
            }
            argv
        };
        let commands: Vec<Command> = if self.uses(|p| *p == Piece::Item) {
            items
                .iter()
                .map(|item| {
                    let argv = fill(Some(item));
                    Command::new(argv.clone(), argv.len())
                })
                .collect()
        } else {
            let argv = fill(None);
            vec![Command::new(argv.clone(), argv.len())]
        };
        let mut rendered = Rendered::commands(commands.clone());
        if self.uses(|p| *p == Piece::ListFile) {
            let contents: String = items.iter().map(|i| format!("{i}\n")).collect();
            rendered = rendered.file(ctx.list_file.path.clone(), contents);
        } else if let Some(long) = commands.iter().find(|c| ctx.wants_file(c.len()))
            && !ctx.list_file.forced
        {
            rendered = rendered.notice(format!(
                "{}; the template can read the items from {{list_file}} instead",
                ctx.too_long_notice("--template", long.len())
            ));
        }
        if ctx.is_catch_all() {
            rendered = rendered.decline_catch_all(
                ctx.cannot_catch_all("--template", "a template only lists items"),
            );
        }
        rendered
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::render::testing::Fixture;
    use crate::emit::test_support::file_id;

    fn fixture() -> Fixture {
        Fixture::new(vec![
            vec![file_id("t/a b.py"), file_id("t/c.py")],
            vec![file_id("t/d.py")],
        ])
    }

    fn lines(template: &str, index: usize) -> Vec<String> {
        let t = Template::parse(template).expect("parses");
        let f = fixture();
        t.render(&f.context(Granularity::Test, index, None).context())
            .command_lines()
    }

    #[test]
    fn items_expand_to_words_or_join() {
        assert_eq!(
            lines("tox -e py -- {items}", 0),
            ["tox -e py -- 't/a b.py' t/c.py"]
        );
        assert_eq!(
            lines("mvn -Dtest={items:,} x", 0),
            ["mvn '-Dtest=t/a b.py,t/c.py' x"]
        );
        assert_eq!(lines("echo \"[{items}]\"", 0), ["echo '[t/a b.py t/c.py]'"]);
        assert_eq!(
            lines("run {item} --shard {shard}/{count}", 0),
            ["run 't/a b.py' --shard 1/2", "run t/c.py --shard 1/2"]
        );
        assert_eq!(
            lines("run @{list_file} {index} '{{x}}'", 1),
            ["run @/tmp/shard.list 1 '{x}'"]
        );
    }

    #[test]
    fn words_split_like_a_shell() {
        let t = Template::parse(r#"a 'b c' "d \"e\" \x" f\ g"#).expect("parses");
        let texts: Vec<String> = t
            .words
            .iter()
            .map(|w| match w.as_slice() {
                [Piece::Text(t)] => t.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(texts, ["a", "b c", r#"d "e" \x"#, "f g"]);
    }

    #[test]
    fn bad_templates_say_what_is_wrong() {
        assert!(
            Template::parse("run {tests}")
                .unwrap_err()
                .contains("unknown placeholder `{tests}`")
        );
        assert!(
            Template::parse("run {items")
                .unwrap_err()
                .contains("not closed")
        );
        assert!(
            Template::parse("run 'x")
                .unwrap_err()
                .contains("unclosed '")
        );
        assert!(Template::parse("  ").unwrap_err().contains("empty"));
        assert!(Template::parse("a }").is_err());
    }

    #[test]
    fn list_file_is_written_and_catch_all_refused() {
        let t = Template::parse("pytest @{list_file}").expect("parses");
        let f = fixture();
        let r = t.render(&f.context(Granularity::Test, 1, Some(1)).context());
        assert_eq!(
            r.files,
            [(
                std::path::PathBuf::from("/tmp/shard.list"),
                "t/d.py\n".to_string()
            )]
        );
        assert!(r.warnings[0].contains("runs on NO shard"));
        let empty = Fixture::new(vec![vec![file_id("x")], vec![]]);
        let owned = empty.context(Granularity::Test, 1, None);
        assert!(t.render(&owned.context()).command_lines().is_empty());
    }
}
