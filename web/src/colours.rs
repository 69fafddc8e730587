//! Category colours: each scale's official colours, or the core's colour-vision-safe
//! palette (the same six hues in the same order for both scales), and a text colour
//! readable on each.

use aqcast_core::aqi::Scale;
use aqcast_core::aqi::{eea, Category, Palette};

/// The colour of category `c` (best first) of `scale`.
pub fn category(scale: Scale, c: u8, palette: Palette) -> &'static str {
    let i = usize::from(c).min(5);
    match (scale, palette) {
        (Scale::Eea, Palette::Epa) => eea::Level::ALL[i].color(),
        (_, p) => Category::ALL[i].color(p),
    }
}

/// Black or white, whichever reads better on `background` (`#RRGGBB`): the one with the
/// higher WCAG contrast ratio.
pub fn text_on(background: &str) -> &'static str {
    let l = luminance(background);
    // Contrast with white: 1.05 / (l + 0.05); with black: (l + 0.05) / 0.05.
    if 1.05 / (l + 0.05) > (l + 0.05) / 0.05 {
        "#FFFFFF"
    } else {
        "#000000"
    }
}

/// WCAG relative luminance of `#RRGGBB` (0 for anything else).
fn luminance(hex: &str) -> f64 {
    let h = hex.trim_start_matches('#');
    if h.len() != 6 {
        return 0.0;
    }
    let channel = |i: usize| {
        let v = f64::from(u8::from_str_radix(&h[i..i + 2], 16).unwrap_or(0)) / 255.0;
        if v <= 0.039_28 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_reads_on_every_category_colour() {
        for scale in [Scale::Epa, Scale::Eea] {
            for palette in [Palette::Epa, Palette::ColorVisionAssist] {
                for c in 0..6 {
                    let bg = category(scale, c, palette);
                    let (a, b) = (luminance(bg), luminance(text_on(bg)));
                    let ratio = (a.max(b) + 0.05) / (a.min(b) + 0.05);
                    // WCAG AA for large text (the AQI number and category name).
                    assert!(ratio >= 3.0, "{scale:?} {palette:?} {c}: {bg} {ratio}");
                }
            }
        }
        assert_eq!(text_on("#000000"), "#FFFFFF");
        assert_eq!(text_on("#FFFF00"), "#000000");
    }
}
