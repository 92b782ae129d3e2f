//! Files embedded in the binary: `assets/` (templates, static files) and `defaults/`.
//!
//! Release builds carry the files inside the binary; debug builds read them from disk, so a page
//! can be edited and reloaded without rebuilding. Fonts are embedded by `render`, not here.

use std::borrow::Cow;

#[derive(rust_embed::Embed)]
#[folder = "assets/"]
#[exclude = "fonts/*"]
struct Assets;

/// A template's source, by its name under `assets/templates/`.
pub fn template(name: &str) -> Option<String> {
    let file = Assets::get(&format!("templates/{name}"))?;
    String::from_utf8(file.data.into_owned()).ok()
}

/// A static file under `assets/static/`, with its content type. Unknown names are `None` (404).
pub fn static_file(name: &str) -> Option<(&'static str, Cow<'static, [u8]>)> {
    let mime = match name.rsplit_once('.')?.1 {
        "css" => "text/css; charset=utf-8",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        _ => return None,
    };
    Assets::get(&format!("static/{name}")).map(|file| (mime, file.data))
}
