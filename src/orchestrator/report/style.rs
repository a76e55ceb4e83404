//! Colour for the terminal, written once: the verdict table and the live
//! output both paint with these styles (`anstyle`, which clap already
//! brings), and only when the caller says the output is a terminal that
//! wants colour (not `NO_COLOR`).

use anstyle::{AnsiColor, Effects, Style};

pub const DIM: Style = Style::new().effects(Effects::DIMMED);
pub const BOLD: Style = Style::new().effects(Effects::BOLD);
pub const GREEN: Style = AnsiColor::Green.on_default();
pub const RED: Style = AnsiColor::Red.on_default();
pub const CYAN: Style = AnsiColor::Cyan.on_default();
pub const YELLOW: Style = AnsiColor::Yellow.on_default();
pub const BOLD_GREEN: Style = GREEN.effects(Effects::BOLD);
pub const BOLD_RED: Style = RED.effects(Effects::BOLD);

/// Paints text in a style, or leaves it plain.
#[derive(Clone, Copy, Debug)]
pub struct Paint {
    pub color: bool,
}

impl Paint {
    pub fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_without_colour_and_escaped_with_it() {
        assert_eq!(Paint { color: false }.paint(RED, "x"), "x");
        assert_eq!(
            Paint { color: true }.paint(RED, "x"),
            "\u{1b}[31mx\u{1b}[0m"
        );
        assert_eq!(Paint { color: true }.paint(DIM, "x"), "\u{1b}[2mx\u{1b}[0m");
    }
}
