//! A reader of the data in a plain-text `pg_dump` (the `COPY … FROM stdin;` blocks), so an
//! osu!Arena database moves in without PostgreSQL at hand. Pure: text in, tables of optional
//! strings out, or a [`DumpError`] naming the line; it never panics, whatever the input (fuzzed:
//! `fuzz/fuzz_targets/pg_dump.rs`).
//!
//! The format (PostgreSQL's COPY text format): one row per line, columns separated by a tab,
//! `\N` alone for NULL, and backslash escapes for the rest — `\\`, `\t`, `\n`, `\r`, `\b`, `\f`,
//! `\v`, `\` and one to three octal digits, `\x` and one or two hex digits; a backslash before
//! any other character stands for that character. A block ends with a line `\.`. A whole dump
//! ends with the comment `-- PostgreSQL database dump complete`: a file without it was cut
//! short, and is refused even when every block it holds is whole.

/// What pg_dump writes last.
const COMPLETE: &str = "-- PostgreSQL database dump complete";

/// The rows of one table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    /// The name without its schema, as PostgreSQL spells it (quotes removed).
    pub name: String,
    pub columns: Vec<String>,
    /// One value per column; `None` is NULL.
    pub rows: Vec<Vec<Option<String>>>,
}

impl Table {
    /// The position of column `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }
}

/// The tables of a dump, in the order they appear.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dump {
    pub tables: Vec<Table>,
}

impl Dump {
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }
}

/// Why a file is not a whole plain-text dump; lines count from 1.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DumpError {
    #[error("the file is not text (UTF-8)")]
    NotText,
    #[error(
        "this is not a plain-text pg_dump (no `COPY … FROM stdin;` block and no pg_dump header); make one with `pg_dump --format=plain`"
    )]
    NotADump,
    #[error("line {line}: a COPY line that cannot be read: {detail}")]
    BadCopy { line: usize, detail: String },
    #[error("line {line}: table {table}: {detail}")]
    BadRow {
        line: usize,
        table: String,
        detail: String,
    },
    #[error("the dump is cut short: the rows of table {table} (from line {line}) never end")]
    Unterminated { table: String, line: usize },
    #[error("the dump is cut short: it lacks pg_dump's last line `{COMPLETE}`")]
    Truncated,
}

/// Reads the COPY blocks of `bytes`.
pub fn parse(bytes: &[u8]) -> Result<Dump, DumpError> {
    let text = std::str::from_utf8(bytes).map_err(|_| DumpError::NotText)?;
    let mut dump = Dump::default();
    let mut header = false;
    let mut complete = false;
    let mut lines = text.split('\n').enumerate().peekable();
    while let Some((index, line)) = lines.next() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let number = index + 1;
        if line.starts_with("-- PostgreSQL database dump") && !line.starts_with(COMPLETE) {
            header = true;
        }
        if line.trim_end() == COMPLETE {
            complete = true;
        }
        if !line.starts_with("COPY ") {
            continue;
        }
        let (name, columns) = copy_header(line).map_err(|detail| DumpError::BadCopy {
            line: number,
            detail,
        })?;
        let mut table = Table {
            name,
            columns,
            rows: Vec::new(),
        };
        let mut ended = false;
        while let Some((index, row)) = lines.next() {
            let row = row.strip_suffix('\r').unwrap_or(row);
            if row == "\\." {
                ended = true;
                break;
            }
            // A file that stops inside a block (no newline after its last row) was cut there.
            let cut = lines.peek().is_none();
            let unterminated = || DumpError::Unterminated {
                table: table.name.clone(),
                line: number,
            };
            let values = parse_row(row).map_err(|detail| {
                if cut {
                    unterminated()
                } else {
                    DumpError::BadRow {
                        line: index + 1,
                        table: table.name.clone(),
                        detail,
                    }
                }
            })?;
            if cut && values.len() != table.columns.len() {
                return Err(unterminated());
            }
            if values.len() != table.columns.len() {
                return Err(DumpError::BadRow {
                    line: index + 1,
                    table: table.name.clone(),
                    detail: format!(
                        "{} values for {} columns",
                        values.len(),
                        table.columns.len()
                    ),
                });
            }
            table.rows.push(values);
        }
        if !ended {
            return Err(DumpError::Unterminated {
                table: table.name,
                line: number,
            });
        }
        dump.tables.push(table);
    }
    if !header && dump.tables.is_empty() {
        return Err(DumpError::NotADump);
    }
    if !complete {
        return Err(DumpError::Truncated);
    }
    Ok(dump)
}

/// `COPY public.name (a, "b c") FROM stdin;` → (`name`, [`a`, `b c`]).
fn copy_header(line: &str) -> Result<(String, Vec<String>), String> {
    let rest = line
        .strip_prefix("COPY ")
        .and_then(|r| r.strip_suffix(" FROM stdin;"))
        .ok_or_else(|| "expected `COPY <table> (<columns>) FROM stdin;`".to_string())?;
    let (target, columns) = match outside_quotes(rest, '(') {
        Some(open) => {
            let list = rest[open + 1..]
                .strip_suffix(')')
                .ok_or_else(|| "the column list does not end with `)`".to_string())?;
            (rest[..open].trim_end(), split_identifiers(list, ',')?)
        }
        None => (rest, Vec::new()),
    };
    let mut parts = split_identifiers(target, '.')?;
    let name = parts.pop().filter(|n| !n.is_empty());
    let name = name.ok_or_else(|| "no table name".to_string())?;
    if parts.len() > 1 {
        return Err(format!("`{target}` is not a table name"));
    }
    if columns.iter().any(String::is_empty) {
        return Err("an empty column name".into());
    }
    Ok((name, columns))
}

/// The byte position of the first `wanted` that is not inside double quotes.
fn outside_quotes(text: &str, wanted: char) -> Option<usize> {
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            c if c == wanted && !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

/// Splits SQL identifiers on `separator`, honouring double quotes (`""` inside quotes is one
/// quote); whitespace outside quotes is no part of a name.
fn split_identifiers(text: &str, separator: char) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                current.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => current.push(c),
            (false, '"') => quoted = true,
            (false, c) if c == separator => out.push(std::mem::take(&mut current)),
            (false, c) if c.is_whitespace() => {}
            (false, c) => current.push(c),
        }
    }
    if quoted {
        return Err("an unclosed quote".into());
    }
    out.push(current);
    Ok(out)
}

/// One row: values split on tabs, `\N` as NULL, escapes decoded.
fn parse_row(line: &str) -> Result<Vec<Option<String>>, String> {
    line.split('\t')
        .map(|field| {
            if field == "\\N" {
                Ok(None)
            } else {
                unescape(field).map(Some)
            }
        })
        .collect()
}

/// Decodes COPY's backslash escapes.
fn unescape(field: &str) -> Result<String, String> {
    if !field.contains('\\') {
        return Ok(field.to_string());
    }
    let mut bytes = Vec::with_capacity(field.len());
    let mut input = field.bytes().peekable();
    while let Some(b) = input.next() {
        if b != b'\\' {
            bytes.push(b);
            continue;
        }
        let Some(next) = input.next() else {
            return Err("a backslash at the end of a value".into());
        };
        match next {
            b'b' => bytes.push(0x08),
            b'f' => bytes.push(0x0C),
            b'n' => bytes.push(b'\n'),
            b'r' => bytes.push(b'\r'),
            b't' => bytes.push(b'\t'),
            b'v' => bytes.push(0x0B),
            b'0'..=b'7' => {
                let mut value = u32::from(next - b'0');
                for _ in 0..2 {
                    match input.peek() {
                        Some(d @ b'0'..=b'7') => {
                            value = value * 8 + u32::from(d - b'0');
                            input.next();
                        }
                        _ => break,
                    }
                }
                bytes.push((value & 0xFF) as u8);
            }
            b'x' => {
                let mut value = None::<u32>;
                for _ in 0..2 {
                    match input.peek().and_then(|d| char::from(*d).to_digit(16)) {
                        Some(digit) => {
                            value = Some(value.unwrap_or(0) * 16 + digit);
                            input.next();
                        }
                        None => break,
                    }
                }
                match value {
                    Some(v) => bytes.push((v & 0xFF) as u8),
                    None => bytes.push(b'x'),
                }
            }
            other => bytes.push(other),
        }
    }
    String::from_utf8(bytes).map_err(|_| "an escape that is not UTF-8".to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const HEAD: &str = "--\n-- PostgreSQL database dump\n--\n\n";
    const TAIL: &str = "\n--\n-- PostgreSQL database dump complete\n--\n";

    fn dump(body: &str) -> Vec<u8> {
        format!("{HEAD}{body}{TAIL}").into_bytes()
    }

    /// A table as the tests spell it: name, columns, rows.
    type Spelled<'a> = (&'a str, Vec<&'a str>, Vec<Vec<Option<&'a str>>>);

    fn check(body: &str, expected: Result<Vec<Spelled>, DumpError>) {
        let found = parse(&dump(body));
        let expected = expected.map(|tables| Dump {
            tables: tables
                .into_iter()
                .map(|(name, columns, rows)| Table {
                    name: name.to_string(),
                    columns: columns.into_iter().map(String::from).collect(),
                    rows: rows
                        .into_iter()
                        .map(|r| r.into_iter().map(|v| v.map(String::from)).collect())
                        .collect(),
                })
                .collect(),
        });
        assert_eq!(found, expected, "{body}");
    }

    #[test]
    fn blocks_values_nulls_and_escapes() {
        check(
            "COPY public.seasons (id, season, status) FROM stdin;\n1\t1\tArchived\n2\t2\t\\N\n\\.\n",
            Ok(vec![(
                "seasons",
                vec!["id", "season", "status"],
                vec![
                    vec![Some("1"), Some("1"), Some("Archived")],
                    vec![Some("2"), Some("2"), None],
                ],
            )]),
        );
        check(
            "COPY public.\"Odd Name\" (\"a\"\"b\", c) FROM stdin;\ntab\\there\tback\\\\slash \\101\\x42\\q\n\\.\n",
            Ok(vec![(
                "Odd Name",
                vec!["a\"b", "c"],
                vec![vec![Some("tab\there"), Some("back\\slash ABq")]],
            )]),
        );
        check(
            "COPY public.\"a (b\" (\" c \") FROM stdin;\nx\n\\.\n",
            Ok(vec![("a (b", vec![" c "], vec![vec![Some("x")]])]),
        );
        check(
            "COPY public.t (a) FROM stdin;\n\n\\N\nline\\nbreak\n\\.\n",
            Ok(vec![(
                "t",
                vec!["a"],
                vec![vec![Some("")], vec![None], vec![Some("line\nbreak")]],
            )]),
        );
        check(
            "COPY public.t (a) FROM stdin;\n\\.\nCOPY public.u (b, c) FROM stdin;\nx\ty\n\\.\n",
            Ok(vec![
                ("t", vec!["a"], vec![]),
                ("u", vec!["b", "c"], vec![vec![Some("x"), Some("y")]]),
            ]),
        );
        check("", Ok(vec![]));
    }

    #[test]
    fn garbage_is_refused_with_its_line() {
        check(
            "COPY public.t (a, b) FROM stdin;\nonly one\n\\.\n",
            Err(DumpError::BadRow {
                line: 6,
                table: "t".into(),
                detail: "1 values for 2 columns".into(),
            }),
        );
        check(
            "COPY public.t (a) FROM stdin;\nends in \\\n\\.\n",
            Err(DumpError::BadRow {
                line: 6,
                table: "t".into(),
                detail: "a backslash at the end of a value".into(),
            }),
        );
        check(
            "COPY public.t (a FROM stdin;\n\\.\n",
            Err(DumpError::BadCopy {
                line: 5,
                detail: "the column list does not end with `)`".into(),
            }),
        );
        check(
            "COPY a.b.c (a) FROM stdin;\n\\.\n",
            Err(DumpError::BadCopy {
                line: 5,
                detail: "`a.b.c` is not a table name".into(),
            }),
        );
        check(
            "COPY public.t (\"a) FROM stdin;\n\\.\n",
            Err(DumpError::BadCopy {
                line: 5,
                detail: "an unclosed quote".into(),
            }),
        );
        check(
            "COPY public.t (a) FROM stdin;\n\\xff\\xfe\n\\.\n",
            Err(DumpError::BadRow {
                line: 6,
                table: "t".into(),
                detail: "an escape that is not UTF-8".into(),
            }),
        );
    }

    #[test]
    fn a_cut_dump_is_refused() {
        let cut = format!("{HEAD}COPY public.t (a) FROM stdin;\n1\n2\n");
        assert_eq!(
            parse(cut.as_bytes()),
            Err(DumpError::Unterminated {
                table: "t".into(),
                line: 5
            })
        );
        let cut = format!("{HEAD}COPY public.t (a, b) FROM stdin;\n1\t2\n3");
        assert_eq!(
            parse(cut.as_bytes()),
            Err(DumpError::Unterminated {
                table: "t".into(),
                line: 5
            })
        );
        let cut = format!("{HEAD}COPY public.t (a) FROM stdin;\n1\n\\.\n");
        assert_eq!(parse(cut.as_bytes()), Err(DumpError::Truncated));
        assert_eq!(parse(b"hello\nworld\n"), Err(DumpError::NotADump));
        assert_eq!(parse(b"\xff\xfe\x00"), Err(DumpError::NotText));
        assert_eq!(parse(b"SQLite format 3\0"), Err(DumpError::NotADump));
    }
}
