// The tool's --json output, written with nlohmann::json.
//
// Objects keep their keys in the order they were added (ordered_json), so the output reads in the
// order the documentation lists them. JSON has no NaN or infinity: a number that is not finite (a
// time that could not be measured, a ratio of two zero times) is written as null, which is how
// nlohmann::json writes such numbers; readers must expect null wherever a number may be.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace kiln::cli {

using Json = nlohmann::ordered_json;

// Indented by two spaces, with a final newline. Bytes that are not UTF-8 (a broken model's
// names) become U+FFFD instead of failing the whole output.
inline std::string json_text(const Json& json) {
  return json.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace kiln::cli
