//! A plain-text `pg_dump` as `stagehand import osu-arena` reads it
//! (`stagehand::ops::import::pgdump::parse`): a file from anywhere.
//!
//! Properties: it never panics, whatever the bytes. A dump it reads, written out again the way
//! pg_dump writes COPY blocks (every identifier quoted, values escaped, NULL as `\N`), reads
//! back as the same tables, rows and values.

#![no_main]

use std::fmt::Write as _;

use libfuzzer_sys::fuzz_target;
use stagehand::ops::import::pgdump::{self, Dump};

/// A quoted identifier.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A value as COPY's text format writes it.
fn escaped(value: &Option<String>) -> String {
    let Some(value) = value else {
        return "\\N".into();
    };
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

/// The dump written out again; `None` when a name cannot stand on one line.
fn written(dump: &Dump) -> Option<String> {
    let mut out = String::from("--\n-- PostgreSQL database dump\n--\n\n");
    for table in &dump.tables {
        let names = std::iter::once(&table.name).chain(&table.columns);
        if names.clone().any(|n| n.contains(['\n', '\r'])) {
            return None;
        }
        let columns: Vec<String> = table.columns.iter().map(|c| quoted(c)).collect();
        let list = if columns.is_empty() {
            String::new()
        } else {
            format!(" ({})", columns.join(", "))
        };
        let _ = writeln!(out, "COPY public.{}{list} FROM stdin;", quoted(&table.name));
        for row in &table.rows {
            let values: Vec<String> = row.iter().map(escaped).collect();
            let _ = writeln!(out, "{}", values.join("\t"));
        }
        out.push_str("\\.\n\n");
    }
    out.push_str("--\n-- PostgreSQL database dump complete\n--\n");
    Some(out)
}

fuzz_target!(|data: &[u8]| {
    let Ok(dump) = pgdump::parse(data) else {
        return;
    };
    let Some(again) = written(&dump) else {
        return;
    };
    let reread = pgdump::parse(again.as_bytes());
    assert_eq!(reread.as_ref(), Ok(&dump), "{again}");
});
