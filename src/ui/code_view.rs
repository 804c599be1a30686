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
    /// Uncoloured text.
    pub fn plain(text: String) -> Self {
        let mut lines = Vec::new();
        let mut start = 0;
        let mut widest = 0;
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                widest = widest.max(i - start);
                lines.push(CodeLine {
                    start,
                    end: i,
                    spans: Vec::new(),
                });
                start = i + 1;
            }
        }
        if start < text.len() || lines.is_empty() {
            widest = widest.max(text.len() - start);
            lines.push(CodeLine {
                start,
                end: text.len(),
                spans: Vec::new(),
            });
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
}
