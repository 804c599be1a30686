//! Highlighted text shown line by line: only the lines on screen are laid out, so a 10 MiB
//! body scrolls as smoothly as a short one.

use egui::text::LayoutJob;
use egui::{Color32, FontId, TextFormat};

/// One line: a byte range of [`CodeText::text`] and its coloured spans (relative offsets).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CodeLine {
    pub start: usize,
    pub end: usize,
    pub spans: Vec<(u32, u32, Color32)>,
}

/// Longest row of text laid out at once; longer lines continue on the next rows.
pub const MAX_LINE_BYTES: usize = 4096;

/// Text split into lines with colours, prepared off the UI thread.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CodeText {
    pub text: String,
    pub lines: Vec<CodeLine>,
    /// Longest line, in characters (for the horizontal scroll extent).
    pub widest: usize,
    /// A note shown above the text (e.g. "decoded from gzip", "truncated").
    pub note: Option<String>,
    /// A JSON tree or an image, shown instead of the text.
    pub extra: Option<super::body_view::BodyExtra>,
}

impl CodeText {
    /// Uncoloured text. Lines longer than [`MAX_LINE_BYTES`] are shown as several rows (cut at
    /// character boundaries): laying out a multi-megabyte line (minified JSON, a decoded zip
    /// bomb) took seconds and gigabytes per frame. The text itself is unchanged.
    pub fn plain(text: String) -> Self {
        let mut lines = Vec::new();
        let mut start = 0;
        let mut widest = 0;
        let mut push = |lines: &mut Vec<CodeLine>, from: usize, to: usize| {
            let mut at = from;
            loop {
                let mut end = to.min(at + MAX_LINE_BYTES);
                while end < to && !text.is_char_boundary(end) {
                    end -= 1;
                }
                widest = widest.max(end - at);
                lines.push(CodeLine {
                    start: at,
                    end,
                    spans: Vec::new(),
                });
                if end >= to {
                    break;
                }
                at = end;
            }
        };
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                push(&mut lines, start, i);
                start = i + 1;
            }
        }
        if start < text.len() || lines.is_empty() {
            push(&mut lines, start, text.len());
        }
        CodeText {
            text,
            lines,
            widest,
            note: None,
            extra: None,
        }
    }

    pub fn line_text(&self, index: usize) -> &str {
        self.lines
            .get(index)
            .and_then(|l| self.text.get(l.start..l.end))
            .unwrap_or("")
    }

    #[must_use]
    pub fn with_note(mut self, note: Option<String>) -> Self {
        self.note = note;
        self
    }
}

/// Show `code` in a scroll area, laying out only the visible lines.
pub fn code_view_ui(ui: &mut egui::Ui, id_salt: &str, code: &CodeText) {
    if let Some(note) = &code.note {
        ui.label(egui::RichText::new(note).italics().weak());
    }
    match &code.extra {
        Some(super::body_view::BodyExtra::Tree(tree)) => {
            return super::body_view::json_tree_ui(ui, std::sync::Arc::as_ptr(tree) as usize, tree);
        }
        Some(super::body_view::BodyExtra::Image(image)) => {
            return super::body_view::image_ui(ui, std::sync::Arc::as_ptr(image) as usize, image);
        }
        None => {}
    }
    let font = FontId::monospace(12.5);
    let row_height = ui.fonts_mut(|f| f.row_height(&font));
    let default_color = ui.visuals().text_color();
    let char_width = ui.fonts_mut(|f| f.glyph_width(&font, '0'));
    egui::ScrollArea::both()
        .id_salt(id_salt)
        .auto_shrink([false, false])
        .show_rows(ui, row_height, code.lines.len(), |ui, range| {
            ui.set_min_width(char_width * code.widest.min(20_000) as f32 + 16.0);
            ui.spacing_mut().item_spacing.y = 0.0;
            for i in range {
                let job = line_job(code, i, &font, default_color);
                ui.add(egui::Label::new(job).extend());
            }
        });
}

fn line_job(code: &CodeText, index: usize, font: &FontId, default_color: Color32) -> LayoutJob {
    let mut job = LayoutJob::default();
    let Some(line) = code.lines.get(index) else {
        return job;
    };
    let text = code.text.get(line.start..line.end).unwrap_or("");
    let mut at = 0usize;
    let fmt = |color| TextFormat::simple(font.clone(), color);
    for &(s, len, color) in &line.spans {
        let (s, e) = (s as usize, (s + len) as usize);
        if s > at
            && let Some(t) = text.get(at..s)
        {
            job.append(t, 0.0, fmt(default_color));
        }
        if let Some(t) = text.get(s..e) {
            job.append(t, 0.0, fmt(color));
        }
        at = at.max(e);
    }
    if at < text.len()
        && let Some(t) = text.get(at..)
    {
        job.append(t, 0.0, fmt(default_color));
    }
    if text.is_empty() {
        job.append(" ", 0.0, fmt(default_color));
    }
    job
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_splits_lines() {
        let c = CodeText::plain("a\nbcd\n\ne".into());
        assert_eq!(c.lines.len(), 4);
        assert_eq!(c.line_text(1), "bcd");
        assert_eq!(c.line_text(2), "");
        assert_eq!(c.line_text(3), "e");
        assert_eq!(c.widest, 3);
    }

    #[test]
    fn a_huge_line_is_shown_as_rows_of_at_most_the_limit_cut_between_characters() {
        let line = "é".repeat(3 * MAX_LINE_BYTES); // two bytes each: 6 rows' worth
        let c = CodeText::plain(format!("head\n{line}\ntail"));
        assert!(c.lines.len() > 6, "{}", c.lines.len());
        assert_eq!(c.line_text(0), "head");
        assert_eq!(c.line_text(c.lines.len() - 1), "tail");
        let rows: Vec<&str> = (1..c.lines.len() - 1).map(|i| c.line_text(i)).collect();
        assert!(rows.iter().all(|r| !r.is_empty() && r.len() <= MAX_LINE_BYTES));
        assert_eq!(rows.concat(), line, "nothing lost or repeated");
        assert!(c.widest <= MAX_LINE_BYTES);
    }
}
