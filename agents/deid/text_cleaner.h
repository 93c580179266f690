// Clean (C) for free text: removes from a text every word that also occurs in an
// attribute the profile removes or replaces in the same instance (names, IDs,
// addresses...), and every word holding two digits or more (dates, phone numbers,
// record numbers). Build one per instance; Clean() is const and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <unordered_set>

namespace oncoatlas::deid {

class TextCleaner {
 public:
  // Remembers the words (letters and digits, three or more) of an identifying value.
  void AddIdentifyingValue(std::string_view value);

  // `text` with each identifying word replaced by "*".
  std::string Clean(std::string_view text) const;

  std::size_t size() const { return words_.size(); }

 private:
  std::unordered_set<std::string> words_;  // lower case
};

}  // namespace oncoatlas::deid
