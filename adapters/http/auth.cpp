#include "adapters/http/auth.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace xyp::http {
namespace {

constexpr std::size_t min_token_chars = 16;
constexpr role all_roles[] = {role::viewer, role::clerk, role::supervisor, role::credit_platform,
                              role::case_system};

// Words that mark a token as published or not yet replaced.
bool looks_like_demo(std::string_view token) {
  std::string lower(token);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const std::string_view word : {"demo", "example", "change-me", "changeme", "placeholder",
                                      "secret", "xxxx", "token-here", "your-token"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

// Code point boundaries of UTF-8 text (an invalid byte counts as one code point).
std::vector<std::string_view> code_points(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = lead < 0x80           ? 1
                         : (lead >> 5) == 0x6  ? 2
                         : (lead >> 4) == 0xE  ? 3
                         : (lead >> 3) == 0x1E ? 4
                                               : 1;
    if (i + length > text.size()) length = 1;
    out.push_back(text.substr(i, length));
    i += length;
  }
  return out;
}

std::string mask_keeping(std::string_view text, std::size_t head, std::size_t tail) {
  const auto points = code_points(text);
  std::string out;
  if (points.size() <= head + tail) {
    // Too short to keep anything without giving most of it away.
    for (std::size_t i = 0; i < points.size(); ++i) out += '*';
    return out;
  }
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (i < head || i >= points.size() - tail) {
      out += points[i];
    } else {
      out += '*';
    }
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  // Walks the longer of the two so the time depends on lengths only.
  const std::size_t n = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const auto y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

}  // namespace

std::string_view to_string(role r) {
  switch (r) {
    case role::viewer:
      return "viewer";
    case role::clerk:
      return "clerk";
    case role::supervisor:
      return "supervisor";
    case role::credit_platform:
      return "credit_platform";
    case role::case_system:
      return "case_system";
  }
  return "viewer";
}

std::optional<role> role_from(std::string_view text) {
  for (const role r : all_roles) {
    if (text == to_string(r)) return r;
  }
  return std::nullopt;
}

bool may_read(role r) {
  return r != role::credit_platform;
}

bool sees_personal_data(role r) {
  return may_read(r) && r != role::viewer;
}

bool may_send(role r, event_type type) {
  switch (type) {
    case event_type::credit_update:
      return r == role::credit_platform;
    case event_type::clock_advance:
      return r == role::supervisor;
    case event_type::case_apply:
    case event_type::case_accept:
    case event_type::case_supplement:
    case event_type::case_decide:
    case event_type::case_withdraw:
    case event_type::case_terminate:
    case event_type::case_verify:
    case event_type::case_feedback:
      return r == role::clerk || r == role::supervisor || r == role::case_system;
  }
  return false;
}

actor_role actor_role_of(role r) {
  switch (r) {
    case role::clerk:
      return actor_role::clerk;
    case role::supervisor:
      return actor_role::supervisor;
    case role::viewer:
    case role::credit_platform:
    case role::case_system:
      return actor_role::system;
  }
  return actor_role::system;
}

std::vector<token_entry> parse_tokens(std::string_view json_text, std::string_view source,
                                      demo_tokens demo) {
  const std::string where(source);
  const auto doc = nlohmann::json::parse(json_text, nullptr, false);
  if (doc.is_discarded()) throw token_config_error(where + ": not valid JSON");
  if (!doc.is_object() || !doc.contains("tokens") || !doc.at("tokens").is_array()) {
    throw token_config_error(where + ": tokens: an array is required");
  }
  std::vector<token_entry> out;
  std::set<std::string> seen;
  const auto& list = doc.at("tokens");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string at = where + ": tokens[" + std::to_string(i) + "]";
    const auto& e = list[i];
    if (!e.is_object()) throw token_config_error(at + ": an object is required");
    for (const auto& [key, value] : e.items()) {
      if (key != "token" && key != "role" && key != "name" && key != "id") {
        throw token_config_error(at + "." + key + ": unknown key");
      }
    }
    if (!e.contains("token") || !e.at("token").is_string()) {
      throw token_config_error(at + ".token: a string is required");
    }
    const auto token = e.at("token").get<std::string>();
    if (token.size() < min_token_chars) {
      throw token_config_error(at + ".token: at least 16 characters are required");
    }
    for (const char c : token) {
      if (c <= 0x20 || c >= 0x7f) {
        throw token_config_error(at + ".token: only visible ASCII characters are allowed");
      }
    }
    if (!seen.insert(token).second) throw token_config_error(at + ".token: listed twice");
    if (demo == demo_tokens::refused && looks_like_demo(token)) {
      throw token_config_error(at +
                               ".token: a demonstration or placeholder token; put a secret of "
                               "your own here (demo tokens are served only with --demo-tokens on "
                               "loopback)");
    }
    if (!e.contains("role") || !e.at("role").is_string() ||
        !role_from(e.at("role").get<std::string>())) {
      throw token_config_error(
          at + ".role: one of viewer, clerk, supervisor, credit_platform, case_system is required");
    }
    std::string name;
    if (e.contains("name")) {
      if (!e.at("name").is_string()) throw token_config_error(at + ".name: a string is required");
      name = e.at("name").get<std::string>();
    }
    if (name.empty()) name = "token-" + std::to_string(i);
    std::string id = name;
    if (e.contains("id")) {
      if (!e.at("id").is_string() || e.at("id").get<std::string>().empty() ||
          e.at("id").get<std::string>().size() > 128) {
        throw token_config_error(at + ".id: a string of 1-128 characters is required");
      }
      id = e.at("id").get<std::string>();
    }
    out.push_back(
        token_entry{token, *role_from(e.at("role").get<std::string>()), name, std::move(id)});
  }
  return out;
}

std::vector<token_entry> load_tokens(const std::filesystem::path& file, demo_tokens demo) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw token_config_error(file.string() + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_tokens(text.str(), file.string(), demo);
}

const token_entry* authenticate(const std::vector<token_entry>& tokens,
                                std::string_view authorization) {
  constexpr std::string_view scheme = "Bearer ";
  if (authorization.size() <= scheme.size()) return nullptr;
  // The scheme is case-insensitive (RFC 7235).
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) !=
        std::tolower(static_cast<unsigned char>(scheme[i]))) {
      return nullptr;
    }
  }
  std::string_view presented = authorization.substr(scheme.size());
  while (!presented.empty() && presented.front() == ' ') presented.remove_prefix(1);
  while (!presented.empty() && presented.back() == ' ') presented.remove_suffix(1);
  const token_entry* found = nullptr;
  for (const auto& t : tokens) {
    // No early exit: every token is compared.
    if (constant_time_equal(t.token, presented) && found == nullptr) found = &t;
  }
  return found;
}

std::string mask_contact(std::string_view contact) {
  return mask_keeping(contact, 3, 4);
}

std::string mask_id(std::string_view id) {
  return mask_keeping(id, 6, 4);
}

}  // namespace xyp::http
