// The page of `kiln report`: one HTML file with its style, its script and its data inside, so
// it opens anywhere, offline, without Graphviz or anything else installed.
//
// The page's parts are files of their own in examples/kiln/report/ (page.html, report.css,
// report.js), written for this tool and embedded at build time (cmake/KilnToolDependencies.cmake
// turns them into <kiln_report_assets.hpp>). The data goes in a <script type="application/json">
// element, which the browser never runs.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <kiln/core/error.hpp>
#include <kiln_report_assets.hpp>

#include "json.hpp"

namespace kiln::cli {

namespace report_html_detail {

inline std::string html_escaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}

// JSON that can sit inside a <script> element: '<' only occurs inside JSON strings, where
// "\u003c" means the same, and without it no "</script>" or "<!--" in a name can end the element.
inline std::string script_safe(const std::string& json) {
  std::string out;
  out.reserve(json.size());
  for (char c : json) {
    if (c == '<') out += "\\u003c";
    else out += c;
  }
  return out;
}

// Replaces each marker of `parts` in `page` with its text, in the order the markers appear, each
// found after the text put in before it (so a name that happens to read "{{script}}" stays a name).
inline std::string filled(const std::string& page,
                          const std::vector<std::pair<std::string, std::string>>& parts) {
  std::string out;
  std::size_t from = 0;
  for (const auto& [marker, text] : parts) {
    const std::size_t at = page.find(marker, from);
    if (at == std::string::npos) throw Error(Errc::internal, "report page template lacks " + marker);
    out.append(page, from, at - from);
    out += text;
    from = at + marker.size();
  }
  return out + page.substr(from);
}

}  // namespace report_html_detail

inline std::string report_html(const Json& data) {
  using namespace report_html_detail;
  return filled(report_assets::page_html,
                {{"{{title}}", html_escaped("kiln report: " + data.value("title", std::string()))},
                 {"{{style}}", report_assets::report_css},
                 {"{{data}}", script_safe(data.dump(-1, ' ', false, Json::error_handler_t::replace))},
                 {"{{script}}", report_assets::report_js}});
}

}  // namespace kiln::cli
