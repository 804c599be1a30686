//! Body views beyond text: the collapsible JSON tree (virtualised, copy-path) and inline
//! images. Both are prepared off the UI thread; here they are only shown.

use std::collections::HashSet;
use std::sync::Arc;

use crate::body::{JsonNode, JsonNodeKind};

/// A prepared view that is not plain text.
#[derive(Debug, Clone, PartialEq)]
pub enum BodyExtra {
    Tree(Arc<JsonTreeData>),
    Image(Arc<ImageData>),
}

/// Flattened JSON (see [`crate::body::json_tree`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonTreeData {
    pub nodes: Vec<JsonNode>,
    /// Nodes past the cap were left out.
    pub truncated: bool,
}

/// A decoded image, ready for a texture.
#[derive(Clone, PartialEq)]
pub struct ImageData {
    pub mime: String,
    pub image: egui::ColorImage,
    /// Size of the original, before any downscaling for display.
    pub original_size: [usize; 2],
}

impl std::fmt::Debug for ImageData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ImageData({}, {:?})", self.mime, self.image.size)
    }
}

/// Which containers are folded; the visible rows follow from it. One slot: opening another
/// tree starts afresh.
#[derive(Debug, Clone, Default)]
struct TreeState {
    /// Which tree this is about.
    key: usize,
    collapsed: HashSet<usize>,
    visible: Vec<usize>,
    /// `visible` matches `collapsed` for a tree of this many nodes.
    built_for: Option<usize>,
}

impl TreeState {
    fn rebuild(&mut self, nodes: &[JsonNode]) {
        self.visible.clear();
        let mut i = 0;
        while i < nodes.len() {
            self.visible.push(i);
            i = if self.collapsed.contains(&i) {
                nodes[i].subtree_end.max(i + 1)
            } else {
                i + 1
            };
        }
        self.built_for = Some(nodes.len());
    }
}

/// Deepest indentation drawn; deeper rows show their depth as a number instead.
const MAX_INDENT_DEPTH: u32 = 40;

/// The tree, laying out only the rows on screen. Clicking a key copies its path.
pub fn json_tree_ui(ui: &mut egui::Ui, key: usize, tree: &JsonTreeData) {
    let id = egui::Id::unique("hookscope-json-tree");
    let nodes = &tree.nodes;
    let mut state: TreeState = ui.data_mut(|d| std::mem::take(d.get_temp_mut_or_default::<TreeState>(id)));
    if state.key != key {
        state = TreeState {
            key,
            ..TreeState::default()
        };
    }
    if state.built_for != Some(nodes.len()) {
        state.rebuild(nodes);
    }
    let mut changed = false;
    ui.horizontal(|ui| {
        if ui.button("Expand all").clicked() {
            state.collapsed.clear();
            changed = true;
        }
        if ui.button("Collapse all").clicked() {
            state.collapsed = nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| n.depth >= 1 && is_container(n))
                .map(|(i, _)| i)
                .collect();
            changed = true;
        }
        ui.weak(format!(
            "{} nodes{} · click a key to copy its path",
            nodes.len(),
            if tree.truncated { " (cut)" } else { "" }
        ));
    });
    let font = egui::FontId::monospace(12.5);
    let row_height = ui.fonts_mut(|f| f.row_height(&font)) + 4.0;
    let mut toggle = None;
    egui::ScrollArea::both()
        .id_salt(id.with("scroll"))
        .auto_shrink([false, false])
        .show_rows(ui, row_height, state.visible.len(), |ui, range| {
            for row in range {
                let Some(&i) = state.visible.get(row) else {
                    continue;
                };
                let Some(n) = nodes.get(i) else { continue };
                ui.horizontal(|ui| {
                    ui.set_height(row_height);
                    let depth = n.depth.min(MAX_INDENT_DEPTH);
                    ui.add_space(depth as f32 * 14.0);
                    if n.depth > MAX_INDENT_DEPTH {
                        ui.weak(format!("[depth {}]", n.depth));
                    }
                    if is_container(n) && n.subtree_end > i + 1 {
                        let open = !state.collapsed.contains(&i);
                        if ui.small_button(if open { "-" } else { "+" }).clicked() {
                            toggle = Some(i);
                        }
                    } else {
                        ui.add_space(18.0);
                    }
                    let key = match (&n.key, n.index) {
                        (Some(k), _) => format!("{k}:"),
                        (None, Some(idx)) => format!("{idx}:"),
                        (None, None) => "$".to_string(),
                    };
                    let key_label = ui
                        .add(
                            egui::Label::new(egui::RichText::new(key).font(font.clone()).strong())
                                .sense(egui::Sense::click()),
                        )
                        .on_hover_text(format!("Copy path {}", n.path));
                    if key_label.clicked() && !n.path.is_empty() {
                        ui.ctx().copy_text(n.path.clone());
                    }
                    ui.label(egui::RichText::new(&n.preview).font(font.clone()));
                });
            }
        });
    if let Some(i) = toggle {
        if !state.collapsed.remove(&i) {
            state.collapsed.insert(i);
        }
        changed = true;
    }
    if changed {
        state.rebuild(nodes);
    }
    ui.data_mut(|d| d.insert_temp(id, state));
}

fn is_container(n: &JsonNode) -> bool {
    matches!(n.kind, JsonNodeKind::Object { .. } | JsonNodeKind::Array { .. })
}

/// The image, scaled down to fit. One texture slot: the previous image's texture is freed
/// when another is shown.
pub fn image_ui(ui: &mut egui::Ui, key: usize, data: &ImageData) {
    let id = egui::Id::unique("hookscope-body-image");
    let texture = match ui.data(|d| d.get_temp::<(usize, egui::TextureHandle)>(id)) {
        Some((k, t)) if k == key => t,
        _ => {
            let t = ui
                .ctx()
                .load_texture("body-image", data.image.clone(), egui::TextureOptions::LINEAR);
            ui.data_mut(|d| d.insert_temp(id, (key, t.clone())));
            t
        }
    };
    let [w, h] = data.original_size;
    ui.weak(format!("{} · {w}×{h}", data.mime));
    egui::ScrollArea::both()
        .id_salt(id.with("scroll"))
        .show(ui, |ui| {
            let available = ui.available_size().max(egui::vec2(64.0, 64.0));
            ui.add(egui::Image::new(&texture).max_size(available).shrink_to_fit());
        });
}
