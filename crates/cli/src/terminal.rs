//! Text for a person's terminal: what came from outside (a registry field, a run record, a
//! site id, a file name in an error) may hold control characters that a terminal obeys
//! (escape sequences move the cursor, recolour or retitle the window) or invisible ones
//! that make two names look alike. Both are shown escaped (`\u{1b}`, `\u{200b}`).

use std::borrow::Cow;

/// Whether `c` would act on a terminal or be invisible there: C0 and C1 controls (but
/// newline and tab), and the format characters that hide text (zero-width spaces and
/// joiners, bidirectional overrides and isolates, the byte-order mark).
fn hidden(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{feff}' | '\u{00ad}' | '\u{061c}' | '\u{e0000}'..='\u{e007f}')
}

/// `text` with every hidden character escaped; borrowed when there is none.
pub fn safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hidden(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// An error's one line: [`safe`], and a newline inside it shown as `\n` (a site id with
/// one cannot forge a second line).
pub fn one_line(text: &str) -> String {
    safe(text.trim_end()).replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::{one_line, safe};

    #[test]
    fn escapes_what_a_terminal_would_obey_or_hide() {
        assert_eq!(safe("no2-72h v3\tok\n"), "no2-72h v3\tok\n");
        assert_eq!(safe("a\u{1b}[31mred"), "a\\u{1b}[31mred");
        assert_eq!(safe("x\u{200b}y"), "x\\u{200b}y");
        assert_eq!(safe("\u{202e}cod.exe"), "\\u{202e}cod.exe");
        assert_eq!(safe("\u{9b}2J"), "\\u{9b}2J");
        assert_eq!(safe("Zürich 站点"), "Zürich 站点");
        assert_eq!(
            one_line("site \"a\nerror: forged\" x\n"),
            "site \"a\\nerror: forged\" x"
        );
    }
}
