// A small JSON writer: enough for the CLI's --json output, with correct string escaping.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace kiln::cli {

inline std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

// Builds one JSON object, member by member: {"a": 1, "b": [2, 3]}.
class JsonObject {
 public:
  JsonObject& raw(const std::string& key, const std::string& json) {
    body_ += (body_.empty() ? "" : ", ") + json_string(key) + ": " + json;
    return *this;
  }
  JsonObject& str(const std::string& key, const std::string& value) { return raw(key, json_string(value)); }
  JsonObject& num(const std::string& key, double value) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.10g", value);
    return raw(key, buf);
  }
  std::string text() const { return "{" + body_ + "}"; }

 private:
  std::string body_;
};

inline std::string json_array(const std::vector<std::string>& items_json) {
  std::string out = "[";
  for (std::size_t i = 0; i < items_json.size(); ++i) out += (i ? ", " : "") + items_json[i];
  return out + "]";
}

}  // namespace kiln::cli
