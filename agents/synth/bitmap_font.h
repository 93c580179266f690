// A 5x7 bitmap font (upper-case letters, digits, '-', '^', '.', space) for
// burning text into synthetic images. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace oncoatlas::synth {

inline constexpr int kGlyphWidth = 5;
inline constexpr int kGlyphHeight = 7;
inline constexpr int kGlyphAdvance = 6;  // one blank column between characters

// Calls `set(x, y)` for every lit pixel of `text` drawn with its top left corner
// at (x, y), each font pixel `scale` x `scale` image pixels. Lower-case letters
// are drawn upper-case; characters without a glyph as a hollow box. The text
// covers columns [x, x + size * kGlyphAdvance * scale) and rows
// [y, y + kGlyphHeight * scale).
void DrawText(std::string_view text, int x, int y, int scale, const std::function<void(int, int)>& set);

}  // namespace oncoatlas::synth
