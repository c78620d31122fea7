#pragma once
// Who may call the HTTP API: bearer tokens from configuration, each with a role; and the masking
// that a viewer's responses get.
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace xyp::http {

// Ordered: each role may do everything the ones before it may.
enum class role { viewer, clerk, supervisor };
std::string_view to_string(role r);
std::optional<role> role_from(std::string_view text);

struct token_entry {
  std::string token;
  role grants = role::viewer;
  std::string name;  // who holds it, for logs; never the token itself
};

// A token file that cannot be used; the message names the file and the entry.
class token_config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses `{"tokens": [{"token": "...", "role": "viewer", "name": "..."}]}`. Tokens must be at
// least 16 characters of visible ASCII and unique; roles one of viewer, clerk, supervisor.
std::vector<token_entry> parse_tokens(std::string_view json_text, std::string_view source);
std::vector<token_entry> load_tokens(const std::filesystem::path& file);

// Finds the entry of an `Authorization` header value ("Bearer <token>"). Compares against every
// token in time that does not depend on where the first difference is, so response timing does
// not help guess one.
const token_entry* authenticate(const std::vector<token_entry>& tokens,
                                std::string_view authorization);

// "13812345678" -> "138****5678": the first three and last four characters kept when the value
// is long enough, everything else a star; counted in code points so Chinese text masks cleanly.
std::string mask_contact(std::string_view contact);
// An 18-character resident id or credit code: the first six and the last four kept.
std::string mask_id(std::string_view id);

}  // namespace xyp::http
