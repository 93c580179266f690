#include "deid/text_cleaner.h"

#include <cctype>

namespace oncoatlas::deid {
namespace {

// Bytes above 0x7F count as word characters so that words in other character
// sets stay whole.
bool IsWordChar(unsigned char c) { return std::isalnum(c) != 0 || c >= 0x80; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

template <typename F>
void ForEachWord(std::string_view text, F&& f) {
  std::size_t i = 0;
  while (i < text.size()) {
    if (!IsWordChar(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && IsWordChar(static_cast<unsigned char>(text[j]))) ++j;
    f(i, j);
    i = j;
  }
}

}  // namespace

void TextCleaner::AddIdentifyingValue(std::string_view value) {
  ForEachWord(value, [&](std::size_t b, std::size_t e) {
    if (e - b >= 3) words_.insert(Lower(value.substr(b, e - b)));
  });
}

std::string TextCleaner::Clean(std::string_view text) const {
  std::string out;
  out.reserve(text.size());
  std::size_t last = 0;
  ForEachWord(text, [&](std::size_t b, std::size_t e) {
    std::string_view word = text.substr(b, e - b);
    int digits = 0;
    for (char c : word) digits += std::isdigit(static_cast<unsigned char>(c)) ? 1 : 0;
    out.append(text.substr(last, b - last));
    if (digits >= 2 || words_.count(Lower(word)) > 0) {
      out.push_back('*');
    } else {
      out.append(word);
    }
    last = e;
  });
  out.append(text.substr(last));
  return out;
}

}  // namespace oncoatlas::deid
